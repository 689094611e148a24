using LeakExt.Cli;
using LeakExt.Commands;
using LeakExt.Commands.Framework;
using LeakExt.Commands.Rendering;
using LeakExt.Core;
using LeakExt.Core.Snapshots;
using LeakExt.Tests.Infrastructure;
using static LeakExt.Tests.Infrastructure.SyntheticSnapshots;

namespace LeakExt.Tests.Unit;

public sealed class RenderingTests
{
    private static (StoredSnapshot A, StoredSnapshot B) Pair()
    {
        var store = new SnapshotStore();
        var a = store.Add(Make("before", Type("Shop.Order", 1000, 48000), Type("System.String", 5000, 240000, "System.Private.CoreLib.dll"),
            Type("Shop.Session", 3, 96), Type("Shop.OldCart", 40, 1280)));
        var b = store.Add(Make("after", Type("Shop.Order", 26000, 1248000), Type("System.String", 31000, 1488000, "System.Private.CoreLib.dll"),
            Type("Shop.Session", 3, 96), Type("Shop.Invoice", 12, 576)));
        return (a, b);
    }

    [Fact]
    public void Snapdiff_text()
    {
        (StoredSnapshot a, StoredSnapshot b) = Pair();
        var output = new StringCommandOutput();
        SnapDiffRenderer.Render(SnapDiffResult.From(a, b, SnapshotDiffer.Compare(a, b), DiffSort.Bytes, null), new TextOutput(output));
        Golden.Check("snapdiff.txt", output.Text);
    }

    [Fact]
    public void Snapshot_text()
    {
        (_, StoredSnapshot b) = Pair();
        var output = new StringCommandOutput();
        SnapshotRenderer.Render(SnapshotResult.From(b, 20), new TextOutput(output));
        Golden.Check("snapshot.txt", output.Text);
    }

    [Fact]
    public void Snapdiff_json_fields_are_the_documented_ones()
    {
        (StoredSnapshot a, StoredSnapshot b) = Pair();
        string json = System.Text.Json.JsonSerializer.Serialize(SnapDiffResult.From(a, b, SnapshotDiffer.Compare(a, b), DiffSort.Bytes, null), LeakJsonContext.Default.SnapDiffResult);
        Golden.Check("snapdiff.json", json + "\n");
    }

    [Fact]
    public void Golden_diff_is_readable()
    {
        Assert.Equal("  a\n- b\n+ B\n  c\n", Golden.Diff("a\nb\nc", "a\nB\nc"));
    }

    [Fact]
    public void Progress_waits_about_a_second_then_draws_and_erases_itself()
    {
        var quiet = new StringWriter();
        using (var progress = new ConsoleProgress(quiet))
            progress.Report(new WalkProgress("walking heap", 1, 2));
        Assert.Equal("", quiet.ToString());

        var shown = new StringWriter();
        using (var progress = new ConsoleProgress(shown, TimeSpan.Zero))
        {
            progress.Report(new WalkProgress("walking heap", 1, 4));
            Assert.True(progress.Shown);
        }
        Assert.StartsWith("\rwalking heap: 25% (", shown.ToString());
        Assert.EndsWith("\r", shown.ToString());
    }
}
