// A crawler shaped like the seed's: every crawled page's links go into a static cache that
// nobody ever trims.
//
//   static Crawler.WebCrawler.s_seen
//     └─► Dictionary<Page, List<Hyperlink>>
//           ├─► key   Page ─► string Url
//           └─► value List<Hyperlink> ─► Hyperlink[] ─► Hyperlink ─► string Url
//
//   static Crawler.WebCrawler.s_settings ─► List<CacheEntry>   (50 entries, set up once: stable)
//   ParsedDocument: one per crawled page, dropped at once (garbage, a decoy)
//
// Each phase crawls PAGES pages (default 100) with LINKS links each (default 20), so it adds
// exactly PAGES Page, PAGES List<Hyperlink> and PAGES*LINKS Hyperlink live objects, then
// reaches checkpoint <phase>. Usage: Crawler [phases=3] [pages=100] [links=20]
using System.Runtime.CompilerServices;
using LeakExt.TestTargets;

namespace Crawler;

public sealed class Page(string url)
{
    public string Url { get; } = url;
    public override int GetHashCode() => Url.GetHashCode();
    public override bool Equals(object? obj) => obj is Page other && other.Url == Url;
}

public sealed class Hyperlink(string url, int depth)
{
    public string Url { get; } = url;
    public int Depth { get; } = depth;
}

public sealed class ParsedDocument(string html)
{
    public string Html { get; } = html;
    public int[] Offsets { get; } = new int[16];
}

public sealed class CacheEntry(string key, int value)
{
    public string Key { get; } = key;
    public int Value { get; } = value;
}

public static class WebCrawler
{
    private static readonly Dictionary<Page, List<Hyperlink>> s_seen = new();
    private static readonly List<CacheEntry> s_settings = new();

    public static int Main(string[] args)
    {
        int phases = args.Length > 0 ? int.Parse(args[0]) : 3;
        int pages = args.Length > 1 ? int.Parse(args[1]) : 100;
        int links = args.Length > 2 ? int.Parse(args[2]) : 20;

        SetUpSettings();
        for (int phase = 1; phase <= phases; phase++)
        {
            CrawlPhase(phase, pages, links);
            Checkpoint.Reach(phase, $"after-phase-{phase}");
        }
        GC.KeepAlive(s_settings);
        return s_seen.Count == phases * pages ? 0 : 1;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SetUpSettings()
    {
        for (int i = 0; i < 50; i++)
            s_settings.Add(new CacheEntry($"setting-{i}", i));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CrawlPhase(int phase, int pages, int links)
    {
        for (int p = 0; p < pages; p++)
            CrawlPage($"https://example.test/phase{phase}/page{p}", links);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CrawlPage(string url, int links)
    {
        var document = new ParsedDocument($"<html>{url}</html>");
        var found = new List<Hyperlink>();
        for (int i = 0; i < links; i++)
            found.Add(new Hyperlink($"{url}/link{i}", document.Offsets.Length));
        s_seen[new Page(url)] = found;
    }
}
