// A host that loads PluginLib.dll into a collectible AssemblyLoadContext, runs it, and unloads it.
//
//   clean:  load ─► PluginInstance.Run() ─► static PluginLib.PluginCache.s_items ─► PluginItem ×50
//           unload, drop every reference ─► checkpoint 1 "unloaded" (no GC yet: the next one collects all of it)
//           GC until the context is gone     ─► checkpoint 2 "collected"
//   leaky:  as clean, but the host keeps one PluginInstance:
//           static Plugin.Host.s_kept ─► PluginInstance ─(its collectible type)─► LoaderAllocator ─► … s_items ─► PluginItem ×50
//           unload ─► checkpoint 1 "unloaded"; GCs cannot collect it ─► checkpoint 2 "still-loaded"
//
// Usage: Plugin clean|leaky
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using LeakExt.TestTargets;

namespace Plugin;

public static class Host
{
    public static object? s_kept;

    public static int Main(string[] args)
    {
        bool leaky = args.Length > 0 && args[0] == "leaky";
        WeakReference context = LoadRunAndUnload(leaky);
        Checkpoint.Reach(1, "unloaded");
        for (int i = 0; i < 20 && context.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        if (context.IsAlive != leaky)
            throw new InvalidOperationException(leaky ? "the kept instance did not keep the plugin loaded" : "the plugin did not unload");
        Checkpoint.Reach(2, leaky ? "still-loaded" : "collected");
        return 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference LoadRunAndUnload(bool leaky)
    {
        var context = new AssemblyLoadContext("plugin", isCollectible: true);
        Assembly plugin = context.LoadFromAssemblyPath(Path.Combine(AppContext.BaseDirectory, "PluginLib.dll"));
        object instance = Activator.CreateInstance(plugin.GetType("PluginLib.PluginInstance", throwOnError: true)!)!;
        instance.GetType().GetMethod("Run")!.Invoke(instance, null);
        if (leaky)
            s_kept = instance;
        context.Unload();
        return new WeakReference(context);
    }
}
