using System.Text.Json;
using LeakExt.Commands.Framework;
using LeakExt.Core.Growth;
using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;
using LeakExt.Core.Targets;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Dumps;

/// <summary>
/// An ASP.NET Core service leaking three independent ways (WebApp target). Its container is reached
/// through the socket engine, Kestrel and change-token callbacks long before anything of the app:
/// holders must name the DI singleton or the static a developer wrote, never the plumbing.
/// </summary>
[Collection("dumps")]
public sealed class WebAppDumpTests(DumpFixture fixture)
{
    private const string MemoryCache = "DI singleton Microsoft.Extensions.Caching.Memory.IMemoryCache (MemoryCache) › ";
    private const string OptionsMonitor = "DI singleton Microsoft.Extensions.Options.IOptionsMonitor<WebApp.PricingOptions> (OptionsMonitor<PricingOptions>) › ";
    private const string Sessions_ = "static WebApp.SessionStore.s_sessions";
    private static readonly string[] Plumbing = ["Socket", "Kestrel", "ThreadPool", "CancellationTokenSource", "ChangeToken", "EventSource"];

    [Fact]
    public void Each_leak_is_held_by_the_singleton_or_static_the_app_wrote()
    {
        string dump = fixture.Dumps("WebApp")[^1];
        foreach (HeapReaderKind reader in new[] { HeapReaderKind.Fast, HeapReaderKind.ClrMd })
        {
            Snapshot snapshot = Sessions.Snapshot(dump, reader);
            Assert.Equal(600, snapshot.Live("WebApp.ProductView"));
            Assert.Equal(600, snapshot.Live("WebApp.PriceCalculator"));
            Assert.Equal(600, snapshot.Live("WebApp.Session"));
            Assert.Equal(MemoryCache + "MemoryCache._coherentState › MemoryCache.CoherentState._nonStringEntries › ConcurrentDictionary<Object, CacheEntry> values › CacheEntry._value",
                HolderOf(snapshot, "WebApp.ProductView"));
            Assert.Equal(OptionsMonitor + "OptionsMonitor<PricingOptions>._onChange targets › OptionsMonitor<PricingOptions>.ChangeTrackerDisposable._listener targets",
                HolderOf(snapshot, "WebApp.PriceCalculator"));
            Assert.Equal(Sessions_ + " › ConcurrentDictionary<String, Session> values", HolderOf(snapshot, "WebApp.Session"));
        }
    }

    [Fact]
    public void Snapdiff_and_heapgrowth_show_three_separate_holders_and_no_plumbing()
    {
        IReadOnlyList<string> dumps = fixture.Dumps("WebApp");
        var session = new LeakSession(null);
        for (int i = 0; i < dumps.Count; i++)
        {
            session.Target = new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dumps[i])));
            Sessions.Run(session, $"snapshot -name phase{i + 1}");
        }

        JsonElement diff = Sessions.Json(Sessions.Run(session, "snapdiff phase1 phase3 -by holder -top 40 -json").Out);
        string[] growing = diff.GetProperty("holders").EnumerateArray()
            .Where(h => h.GetProperty("deltaCount").GetInt64() >= 400).Select(h => h.GetProperty("holder").GetString()!).ToArray();
        Assert.NotEmpty(growing);
        Assert.All(growing, h => Assert.True(h.StartsWith(MemoryCache, StringComparison.Ordinal) || h.StartsWith(OptionsMonitor, StringComparison.Ordinal)
                                             || h.StartsWith(Sessions_, StringComparison.Ordinal), h));
        foreach (string owner in new[] { MemoryCache, OptionsMonitor, Sessions_ })
            Assert.Contains(growing, h => h.StartsWith(owner, StringComparison.Ordinal));
        Assert.DoesNotContain(growing, h => Plumbing.Any(p => h.Contains(p, StringComparison.Ordinal)));

        JsonElement growth = Sessions.Json(Sessions.Run(session, "heapgrowth -top 40 -json").Out);
        var suspects = growth.GetProperty("suspects").EnumerateArray()
            .Select(s => (Type: s.GetProperty("type").GetString()!, Holder: s.GetProperty("holder").GetString()!, Counts: s.GetProperty("counts").EnumerateArray().Select(c => c.GetInt64()).ToArray()))
            .ToArray();
        Assert.Equal([200L, 400, 600], suspects.Single(s => s.Type == "WebApp.ProductView").Counts);
        Assert.Equal([200L, 400, 600], suspects.Single(s => s.Type == "WebApp.PriceCalculator").Counts);
        Assert.Equal([200L, 400, 600], suspects.Single(s => s.Type == "WebApp.Session").Counts);
        // The leaks (hundreds of objects a phase) are all held by the three owners.
        Assert.All(suspects.Where(s => s.Counts[^1] - s.Counts[0] >= 400), s => Assert.True(
            new[] { MemoryCache, OptionsMonitor, Sessions_ }.Any(o => s.Holder.StartsWith(o, StringComparison.Ordinal)), s.Holder));
    }

    [Fact]
    public void The_root_path_to_the_cache_runs_through_the_app_not_the_plumbing()
    {
        var session = new LeakSession(new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(fixture.Dumps("WebApp")[^1]))));
        string cache = System.Text.RegularExpressions.Regex.Match(Sessions.Run(session, "backrefs -type Microsoft.Extensions.Caching.Memory.MemoryCache -depth 1").Out,
            @"MemoryCache (0x[0-9a-f]+)").Groups[1].Value;
        JsonElement path = Sessions.Json(Sessions.Run(session, $"rootpath {cache} -json").Out).GetProperty("paths")[0];
        string[] types = path.GetProperty("hops").EnumerateArray().Select(h => h.GetProperty("object").GetProperty("type").GetString()!).ToArray();
        Assert.StartsWith("thread ", path.GetProperty("root").GetString());
        Assert.Contains("Microsoft.AspNetCore.Builder.WebApplication", types);
        Assert.Contains("Microsoft.Extensions.DependencyInjection.ServiceProvider", types);
        Assert.True(types.Length <= 10, string.Join(" → ", types));
        Assert.DoesNotContain(types, t => Plumbing.Any(p => t.Contains(p, StringComparison.Ordinal)));
    }

    private static string HolderOf(Snapshot snapshot, string type) =>
        snapshot.Holders.Where(h => h.Type == type).OrderByDescending(h => h.Count).First().Holder;
}
