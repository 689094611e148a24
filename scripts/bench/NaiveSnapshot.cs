using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Bench;

/// <summary>
/// The comparison point: what one writes first with ClrMD. A histogram over EnumerateObjects, a
/// HashSet of addresses marked from EnumerateRoots through EnumerateReferenceAddresses, then a
/// histogram of the marked objects.
/// </summary>
internal static class NaiveSnapshot
{
    public static (long Objects, long Live) Take(ClrHeap heap)
    {
        var all = new Dictionary<ulong, (long Count, long Bytes)>();
        long objects = 0;
        foreach (ClrObject obj in heap.EnumerateObjects())
        {
            if (obj.Type is null)
                continue;
            objects++;
            all.TryGetValue(obj.Type.MethodTable, out var row);
            all[obj.Type.MethodTable] = (row.Count + 1, row.Bytes + (long)obj.Size);
        }

        var marked = new HashSet<ulong>();
        var pending = new Stack<ulong>();
        foreach (ClrRoot root in heap.EnumerateRoots())
            if (root.Object.Address != 0 && marked.Add(root.Object.Address))
                pending.Push(root.Object.Address);
        while (pending.Count > 0)
        {
            ClrObject obj = heap.GetObject(pending.Pop());
            if (obj.Type is null)
                continue;
            foreach (ulong reference in obj.EnumerateReferenceAddresses(carefully: false, considerDependantHandles: true))
                if (marked.Add(reference))
                    pending.Push(reference);
        }

        var live = new Dictionary<ulong, (long Count, long Bytes)>();
        foreach (ulong address in marked)
        {
            ClrObject obj = heap.GetObject(address);
            if (obj.Type is null)
                continue;
            live.TryGetValue(obj.Type.MethodTable, out var row);
            live[obj.Type.MethodTable] = (row.Count + 1, row.Bytes + (long)obj.Size);
        }
        return (objects, marked.Count);
    }
}
