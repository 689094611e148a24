using LeakExt.Core.Heap;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Core.Retention;

/// <summary>
/// Objects a developer knows by the name they registered them under, whatever plumbing the
/// marking reaches them through: the singletons of Microsoft.Extensions.DependencyInjection
/// containers. An ASP.NET Core app's container is reachable from Kestrel's accept loop, the socket
/// engine and the thread pool long before anything of the app's own; named here, a singleton's
/// holder reads "DI singleton IMemoryCache (MemoryCache)" (the way Eclipse MAT names the nearest
/// object outside the framework) and what it holds is named from there.
/// A realized singleton (or registered instance) is the Value of its ServiceCallSite, which also
/// names the service type. Layout: address → name for the few hundred singletons of a container.
/// Cost: nothing without the container's assembly; with it, the base types of that module's types,
/// one pass over the type ids (4 B per object), then a few field reads per call site.
/// </summary>
internal static class NamedOwners
{
    private const string CallSiteType = "Microsoft.Extensions.DependencyInjection.ServiceLookup.ServiceCallSite";

    public static IReadOnlyDictionary<ulong, string> Find(ClrHeap heap, HeapIndex index, CancellationToken cancellationToken)
    {
        var owners = new Dictionary<ulong, string>();
        // ServiceCallSite is internal to its assembly, and so is every call site type: only the types of
        // that module (every copy loaded) are asked for their base types; 50,000 generic types ask none.
        var containers = heap.Runtime.EnumerateModules().Where(m => IsContainerModule(m.Name)).Select(m => m.Address).ToHashSet();
        if (containers.Count == 0)
            return owners;
        var callSiteTypes = new HashSet<int>();
        for (int t = 0; t < index.Types.Count; t++)
        {
            if ((t & 0xFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            if (index.Types[t].Module is not { } module || !containers.Contains(module.Address))
                continue;
            for (ClrType? type = index.Types[t]; type is not null; type = type.BaseType)
                if (type.Name == CallSiteType)
                {
                    callSiteTypes.Add(t);
                    break;
                }
        }
        if (callSiteTypes.Count == 0)
            return owners;

        for (int i = 0; i < index.ObjectCount; i++)
        {
            if (!callSiteTypes.Contains(index.TypeIds[i]))
                continue;
            if ((i & 0xFFFF) == 0)
                cancellationToken.ThrowIfCancellationRequested();
            ClrObject callSite = heap.GetObject(index.AddressOf(i));
            if (!callSite.TryReadObjectField("<Value>k__BackingField", out ClrObject value) || value.IsNull || !value.IsValid
                || ServiceType(heap, callSite) is not { } service)
                continue;
            string name = $"DI singleton {service} ({FieldNames.Short(value.Type?.Name)})";
            // One instance may serve several service types: the first name in order, whatever the heap order.
            if (!owners.TryGetValue(value.Address, out string? known) || string.CompareOrdinal(name, known) < 0)
                owners[value.Address] = name;
        }
        return owners;
    }

    private static bool IsContainerModule(string? path) =>
        path is not null && Path.GetFileName(path.Replace('\\', '/')).Equals(ContainerAssembly, StringComparison.OrdinalIgnoreCase);

    private const string ContainerAssembly = "Microsoft.Extensions.DependencyInjection.dll";

    /// <summary>The service type a call site stands for: its System.Type field, resolved through the RuntimeType's MethodTable.</summary>
    private static string? ServiceType(ClrHeap heap, ClrObject callSite)
    {
        foreach (string field in new[] { "<ServiceType>k__BackingField", "_serviceType" })
        {
            if (!callSite.TryReadObjectField(field, out ClrObject type) || type.IsNull || !type.IsValid)
                continue;
            if (type.TryReadField("m_handle", out nint handle) && handle != 0 && heap.GetTypeByMethodTable((ulong)handle) is { Name: { } name })
                return name;
        }
        return null;
    }
}
