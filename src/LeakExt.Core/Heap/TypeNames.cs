using System.Buffers.Binary;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Heap;

/// <summary>
/// Type names exactly as ClrMD gives them, without the DAC formatting each generic instantiation anew.
/// Asking the DAC costs 13–14 µs for a generic name (it formats the instantiation, ClrMD parses it), the
/// largest cost of a snapshot of a heap with many instantiations (50,000 types: 0.7 s). An
/// instantiation's name is its generic definition's text around its type arguments' names:
/// "Ns.Pair&lt;A, B&gt;", "Ns.Dictionary&lt;K, V&gt;+Entry". So the first two instantiations of a
/// definition (a module and a typedef token) are named by the DAC; when each is a prefix, "&lt;", its
/// arguments' names joined by ", ", "&gt;" and a suffix, the same prefix and suffix both times, that
/// pattern names the definition's later instantiations from their arguments' names. The arguments
/// come from the MethodTable's own instantiation (the last of its per-instantiation dictionaries), so
/// a wrong reading of the runtime's layout cannot pass: the DAC's two names would not match. Anything
/// else (arrays, an argument that is not a plain MethodTable, an unreadable word, a name of another
/// shape) is named by the DAC.
/// Layout: a MethodTable → name dictionary (the named types and their arguments) and a
/// (module, token) → pattern dictionary, one entry per generic definition. Cost per instantiation
/// named by a pattern: 3 + arity reads of a word, and one string built.
/// </summary>
internal sealed class TypeNames(ClrHeap heap, IDataReader reader)
{
    private const int PointerSize = 8;
    // The MethodTable's first word (flags) and its per-instantiation info pointer (x64, .NET 6 to 10).
    private const uint HasComponentSize = 0x8000_0000;
    private const uint GenericsMask = 0x30;
    private const uint GenericInstantiation = 0x10;
    private const int PerInstInfoOffset = 48;
    private const int MaxArity = 64;
    private const int MaxNesting = 32;

    private sealed class Pattern(string prefix, string suffix, int arity)
    {
        public readonly string Prefix = prefix, Suffix = suffix;
        public readonly int Arity = arity;
        public int Confirmations = 1;
        public bool Refused;
        public long Named;
    }

    private readonly Dictionary<ulong, string?> _byMethodTable = new();
    private readonly Dictionary<(ulong Module, int Token), Pattern> _patterns = new();

    /// <summary>Instantiations named from a pattern, and names the DAC gave (for the tests and the benchmark).</summary>
    public long FromPatterns { get; private set; }
    public long FromDac { get; private set; }

    /// <summary>Each generic definition met: its pattern, how many names it made, whether the DAC's names refused it.</summary>
    public IEnumerable<(string Prefix, string Suffix, int Arity, long Named, bool Refused)> Patterns =>
        _patterns.Values.Select(p => (p.Prefix, p.Suffix, p.Arity, p.Named, p.Refused));

    /// <summary>ClrMD's name of the type, or null where ClrMD has none. Not thread-safe: the caller serializes.</summary>
    public string? NameOf(ClrType type) => NameOf(type, 0);

    private string? NameOf(ClrType type, int nesting)
    {
        if (_byMethodTable.TryGetValue(type.MethodTable, out string? known))
            return known;
        string? name = Compose(type, nesting);
        _byMethodTable[type.MethodTable] = name;
        return name;
    }

    private string? Compose(ClrType type, int nesting)
    {
        if (nesting > MaxNesting || reader.PointerSize != PointerSize || type.Module is not { } module
            || !TryReadArguments(type.MethodTable, out ulong[]? arguments))
            return FromTheDac(type);

        var key = (module.Address, type.MetadataToken);
        _patterns.TryGetValue(key, out Pattern? pattern);
        if (pattern is { Refused: true } || (pattern is not null && pattern.Arity != arguments.Length))
            return FromTheDac(type);

        var names = new string[arguments.Length];
        for (int i = 0; i < arguments.Length; i++)
        {
            if (heap.GetTypeByMethodTable(arguments[i]) is not { } argument || NameOf(argument, nesting + 1) is not { } argumentName)
                return FromTheDac(type);
            names[i] = argumentName;
        }
        if (pattern is { Confirmations: >= 2 })
        {
            FromPatterns++;
            pattern.Named++;
            return Instantiation(pattern.Prefix, names, pattern.Suffix);
        }

        string joined = Instantiation("", names, "");
        string prefix = "", suffix = "";

        // Learning: the DAC names this one, and the pattern it shows must be the one seen before.
        string? name = FromTheDac(type);
        bool split = name is not null && TrySplit(name, joined, out prefix, out suffix);
        if (pattern is null)
            _patterns[key] = new Pattern(prefix, suffix, arguments.Length) { Refused = !split };
        else if (split && pattern.Prefix == prefix && pattern.Suffix == suffix)
            pattern.Confirmations++;
        else
            pattern.Refused = true;
        return name;
    }

    private string? FromTheDac(ClrType type)
    {
        FromDac++;
        return type.Name;
    }

    /// <summary>prefix + "&lt;" + the names joined by ", " + "&gt;" + suffix, built in one string (50,000 names: a third of their time went to the pieces).</summary>
    private static string Instantiation(string prefix, string[] names, string suffix)
    {
        int length = prefix.Length + 2 * names.Length + suffix.Length;
        foreach (string name in names)
            length += name.Length;
        return string.Create(length, (prefix, names, suffix), static (span, parts) =>
        {
            parts.prefix.AsSpan().CopyTo(span);
            int at = parts.prefix.Length;
            span[at++] = '<';
            for (int i = 0; i < parts.names.Length; i++)
            {
                if (i > 0)
                {
                    span[at++] = ',';
                    span[at++] = ' ';
                }
                parts.names[i].AsSpan().CopyTo(span[at..]);
                at += parts.names[i].Length;
            }
            span[at++] = '>';
            parts.suffix.AsSpan().CopyTo(span[at..]);
        });
    }

    /// <summary>Name = prefix + joined + suffix, with joined found exactly once and after a non-empty prefix.</summary>
    private static bool TrySplit(string name, string joined, out string prefix, out string suffix)
    {
        int at = name.IndexOf(joined, StringComparison.Ordinal);
        bool once = at > 0 && name.IndexOf(joined, at + 1, StringComparison.Ordinal) < 0;
        prefix = once ? name[..at] : "";
        suffix = once ? name[(at + joined.Length)..] : "";
        return once;
    }

    /// <summary>
    /// The type arguments of a generic instantiation's MethodTable: its flags say an instantiation (not
    /// an array or string, not shared or open); its per-instantiation info points at the dictionaries of
    /// each generic class of its hierarchy, preceded by their count and this type's arity (16 bits each);
    /// the last dictionary starts with this type's arguments. False for anything else.
    /// </summary>
    private bool TryReadArguments(ulong methodTable, out ulong[] arguments)
    {
        arguments = [];
        Span<byte> word = stackalloc byte[PointerSize];
        if (reader.Read(methodTable, word) != PointerSize)
            return false;
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(word);
        if ((flags & HasComponentSize) != 0 || (flags & GenericsMask) != GenericInstantiation)
            return false;
        if (!reader.ReadPointer(methodTable + PerInstInfoOffset, out ulong perInstInfo) || perInstInfo < PointerSize)
            return false;
        if (reader.Read(perInstInfo - PointerSize, word) != PointerSize)
            return false;
        int dictionaries = BinaryPrimitives.ReadUInt16LittleEndian(word[4..]);
        int arity = BinaryPrimitives.ReadUInt16LittleEndian(word[6..]);
        if (dictionaries is < 1 or > MaxArity || arity is < 1 or > MaxArity)
            return false;
        if (!reader.ReadPointer(perInstInfo + (ulong)((dictionaries - 1) * PointerSize), out ulong dictionary) || dictionary == 0)
            return false;
        Span<byte> handles = stackalloc byte[MaxArity * PointerSize];
        handles = handles[..(arity * PointerSize)];
        if (reader.Read(dictionary, handles) != handles.Length)
            return false;
        arguments = new ulong[arity];
        for (int i = 0; i < arity; i++)
        {
            ulong handle = BinaryPrimitives.ReadUInt64LittleEndian(handles[(i * PointerSize)..]);
            // A TypeDesc (low bits set: a pointer, a generic variable) has no MethodTable of its own.
            if (handle == 0 || (handle & 3) != 0)
                return false;
            arguments[i] = handle;
        }
        return true;
    }
}
