using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Retention;

/// <summary>
/// What a picture of a few objects shows beside their type (objgraph's extra_info): the element
/// count of an array or a collection, the start of a string. Read through ClrMD's per-object API,
/// for the hundred-odd nodes of a graph, never for the whole heap; an unreadable object shows nothing.
/// </summary>
internal static class ObjectDetails
{
    public const int StringLength = 40;

    /// <summary>Collections whose live element count is one field, or a count less a free count.</summary>
    private static readonly (string Prefix, string Count, string? Free)[] Collections =
    [
        ("System.Collections.Generic.List<", "_size", null),
        ("System.Collections.Generic.Dictionary<", "_count", "_freeCount"),
        ("System.Collections.Generic.HashSet<", "_count", "_freeCount"),
        ("System.Collections.Generic.Queue<", "_size", null),
        ("System.Collections.Generic.Stack<", "_size", null),
        ("System.Collections.Generic.LinkedList<", "count", null),
        ("System.Collections.Generic.SortedList<", "_size", null),
    ];

    /// <summary>The element count (arrays and the collections above) and, for a string, its first characters (longer ones end in "…").</summary>
    public static (long? Length, string? Value) Read(ClrHeap heap, ulong address)
    {
        try
        {
            ClrObject obj = heap.GetObject(address);
            ClrType? type = obj.Type;
            if (type is null)
                return (null, null);
            if (type.IsString)
            {
                string? text = obj.AsString(StringLength + 1);
                return (null, text is null ? null : text.Length > StringLength ? text[..StringLength] + "…" : text);
            }
            if (type.IsArray)
                return (obj.AsArray().Length, null);
            string name = type.Name ?? "";
            if (name.Contains('+', StringComparison.Ordinal))
                return (null, null);
            foreach ((string prefix, string count, string? free) in Collections)
            {
                if (!name.StartsWith(prefix, StringComparison.Ordinal))
                    continue;
                ClrInstanceField? countField = type.GetFieldByName(count);
                if (countField is null)
                    return (null, null);
                long length = countField.Read<int>(obj.Address, interior: false);
                if (free is not null && type.GetFieldByName(free) is { } freeField)
                    length -= freeField.Read<int>(obj.Address, interior: false);
                return (length, null);
            }
            return (null, null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IOException or OverflowException)
        {
            return (null, null);
        }
    }
}
