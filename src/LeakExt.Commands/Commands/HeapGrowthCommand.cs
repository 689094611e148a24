using System.Text.Json.Serialization.Metadata;
using LeakExt.Commands.Framework;
using LeakExt.Commands.Rendering;
using LeakExt.Core;
using LeakExt.Core.Files;
using LeakExt.Core.Growth;
using LeakExt.Core.Snapshots;

namespace LeakExt.Commands.Commands;

public sealed class HeapGrowthOptions : CommandOptions
{
    public List<string> Snapshots { get; } = new();
    public int Top { get; set; } = 10;
    public string? HtmlFile { get; set; }
    public bool Force { get; set; }
    public bool Mixed { get; set; }
}

/// <summary>!heapgrowth: is memory growing, at what pace, will it level off, and is it the managed heap at all.</summary>
[DeclaredCommand(40)]
public sealed class HeapGrowthCommand : Command<HeapGrowthOptions, HeapGrowthResult>
{
    public const string CommandName = "heapgrowth";

    public override string Name => CommandName;

    /// <summary>The one-line summary, a constant so host adapters can put it in attributes.</summary>
    public const string SummaryText = "Reads a series of snapshots: totals over time, each suspect type's and holder's series with a verdict (leak, plateau, stable, shrinking, unclear), and one overall verdict with its evidence: leak, plateau, none, native, fragmentation or finalizer-backlog.";

    public override string Summary => SummaryText;

    protected override IReadOnlyList<ArgumentSpec> Arguments { get; } =
    [
        new("SNAPSHOTS", "session ids, names or .leaksnap files, in time order; or one folder of .leaksnap files (default: every snapshot of the session)", Optional: true, Repeats: true),
    ];

    protected override IReadOnlyList<OptionSpec<HeapGrowthOptions>> Options { get; } =
    [
        new("top", "N", "suspects to show (default 10; 0 = all)", (o, v) => o.Top = OptionValues.WholeNumber("heapgrowth", "top", v)),
        new("html", "FILE", "also write a self-contained HTML report with charts", (o, v) => o.HtmlFile = v),
        OutputFileOption.Force<HeapGrowthOptions>(o => o.Force = true),
        OptionSpec<HeapGrowthOptions>.Flag("mixed", "accept snapshots of different processes, runtime versions or pointer sizes in one series", o => o.Mixed = true),
    ];

    protected override string Notes => "A trend needs at least three snapshots. Snapshots of dumps are placed at the time each dump was written.\nA change counts only above floors, absolute and relative (live bytes: 256 KiB and 1%; non-GC memory: 8 MiB and 5%); rules and examples: docs/heapgrowth.md.";

    protected override JsonTypeInfo<HeapGrowthResult> JsonType => LeakJsonContext.Default.HeapGrowthResult;

    protected override void BindArguments(HeapGrowthOptions options, IReadOnlyList<string> positional) => options.Snapshots.AddRange(positional);

    protected override HeapGrowthResult Run(HeapGrowthOptions options, CommandContext context)
    {
        OutputOptions rules = OutputFileOption.Rules(options.Force);
        if (options.HtmlFile is not null)
            OutputFile.CheckTarget(options.HtmlFile, rules);
        List<StoredSnapshot> series = Resolve(options.Snapshots, context.Session.Snapshots, context.CancellationToken);
        GrowthReport report = GrowthAnalyzer.Analyze(series, options.Top, options.Mixed);
        var result = HeapGrowthResult.From(report, series, options.HtmlFile is null ? null : Path.GetFullPath(options.HtmlFile));
        if (options.HtmlFile is not null)
            OutputFile.WriteText(options.HtmlFile, HtmlReport.Render(result), rules, context.CancellationToken);
        return result;
    }

    /// <summary>The series: named snapshots, a folder of .leaksnap files (by time), or the whole session.</summary>
    public static List<StoredSnapshot> Resolve(IReadOnlyList<string> references, SnapshotStore store, CancellationToken cancellationToken = default)
    {
        if (references.Count == 1 && Directory.Exists(references[0]))
        {
            string[] files = Directory.GetFiles(references[0], "*" + SnapshotFile.Extension);
            if (files.Length == 0)
                throw new LeakExtException($"heapgrowth: no {SnapshotFile.Extension} files in '{references[0]}'; record some with 'leakext record PID --out {references[0]}'.");
            return files.Order(StringComparer.Ordinal).Select(file => store.Load(file, cancellationToken)).OrderBy(s => s.Snapshot.Info.TakenAt).ThenBy(s => s.File, StringComparer.Ordinal).ToList();
        }
        if (references.Count > 0)
            return references.Select(reference => store.Resolve(reference, cancellationToken)).ToList();
        if (store.All.Count < 2)
            throw new LeakExtException($"heapgrowth: the session has {store.All.Count} snapshot{(store.All.Count == 1 ? "" : "s")}; take more with 'snapshot', or pass .leaksnap files or a folder.");
        return store.All.ToList();
    }

    protected override void RenderText(HeapGrowthResult result, TextOutput output) => GrowthRenderer.Render(result, output);
}
