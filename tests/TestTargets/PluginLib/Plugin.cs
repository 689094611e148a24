namespace PluginLib;

/// <summary>What the host creates through reflection: the plugin's entry point.</summary>
public sealed class PluginInstance
{
    public PluginItem[] Run()
    {
        for (int i = 0; i < 50; i++)
            PluginCache.s_items.Add(new PluginItem(i));
        return PluginCache.s_items.ToArray();
    }
}

/// <summary>State the plugin keeps in a static of its own: held by the plugin's LoaderAllocator, not by a GC root.</summary>
public static class PluginCache
{
    public static readonly List<PluginItem> s_items = new();
}

public sealed class PluginItem(int id)
{
    public int Id { get; } = id;
    public byte[] Payload { get; } = new byte[32];
}
