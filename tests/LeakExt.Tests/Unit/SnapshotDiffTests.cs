using LeakExt.Core;
using LeakExt.Core.Snapshots;
using static LeakExt.Tests.Infrastructure.SyntheticSnapshots;

namespace LeakExt.Tests.Unit;

public sealed class SnapshotDiffTests
{
    private static (StoredSnapshot, StoredSnapshot) Pair()
    {
        var store = new SnapshotStore();
        StoredSnapshot a = store.Add(Make("before",
            Type("App.Order", 100, 3200), Type("App.Stable", 10, 240), Type("App.Gone", 5, 120), Type("App.Shrinks", 50, 1200),
            Type("App.Order", 7, 224, module: "Other.dll")));
        StoredSnapshot b = store.Add(Make("after",
            Type("App.Order", 400, 12800), Type("App.Stable", 10, 240), Type("App.New", 20, 640), Type("App.Shrinks", 30, 720),
            Type("App.Order", 7, 224, module: "Other.dll"), Type("App.DeadOnly", 0, 0, dead: 99)));
        return (a, b);
    }

    [Fact]
    public void Ranks_by_growth_and_marks_new_and_vanished_types()
    {
        (StoredSnapshot a, StoredSnapshot b) = Pair();
        SnapshotDiff diff = SnapshotDiffer.Compare(a, b);
        Assert.Equal(["App.Order", "App.New", "App.Gone", "App.Shrinks"], diff.Rows.Select(r => r.Type));
        Assert.Equal([ChangeKind.Grew, ChangeKind.New, ChangeKind.Vanished, ChangeKind.Shrank], diff.Rows.Select(r => r.Change));
        Assert.Equal(300, diff.Rows[0].DeltaCount);
        Assert.Equal(9600, diff.Rows[0].DeltaBytes);
        Assert.Equal(1, diff.NewTypes);
        Assert.Equal(1, diff.VanishedTypes);
        Assert.Equal(4, diff.ChangedTypes);
        Assert.Equal("#1 (before)", diff.A);
    }

    [Fact]
    public void Same_name_in_another_module_is_another_type_and_dead_only_types_are_absent()
    {
        (StoredSnapshot a, StoredSnapshot b) = Pair();
        SnapshotDiff diff = SnapshotDiffer.Compare(a, b);
        Assert.DoesNotContain(diff.Rows, r => r.Module == "Other.dll");
        Assert.DoesNotContain(diff.Rows, r => r.Type == "App.DeadOnly");
        Assert.DoesNotContain(diff.Rows, r => r.Type == "App.Stable");
    }

    [Fact]
    public void Top_type_filter_and_count_sort()
    {
        (StoredSnapshot a, StoredSnapshot b) = Pair();
        Assert.Equal(["App.Order"], SnapshotDiffer.Compare(a, b, top: 1).Rows.Select(r => r.Type));
        Assert.Equal(4, SnapshotDiffer.Compare(a, b, top: 1).ChangedTypes);
        TypeSelection Types(string text) => TypeSelector.Select("snapdiff", text, SnapshotDiffer.TypeNames(a, b));
        Assert.Equal(["App.Gone"], SnapshotDiffer.Compare(a, b, types: Types("app.*e")).Rows.Select(r => r.Type));
        Assert.Equal(["App.New"], SnapshotDiffer.Compare(a, b, types: Types("?PP.N*")).Rows.Select(r => r.Type));
        Assert.Equal(["App.Shrinks"], SnapshotDiffer.Compare(a, b, types: Types("Shrinks")).Rows.Select(r => r.Type));
        Assert.Equal(["App.Shrinks"], SnapshotDiffer.Compare(a, b, types: Types("*rinK*")).Rows.Select(r => r.Type));
        Assert.Equal(["App.Order", "App.New", "App.Gone", "App.Shrinks"], SnapshotDiffer.Compare(a, b, sort: DiffSort.Count).Rows.Select(r => r.Type));
    }

    [Fact]
    public void Store_resolves_ids_names_and_reports_what_it_knows()
    {
        (StoredSnapshot a, StoredSnapshot b) = Pair();
        var store = new SnapshotStore();
        store.Add(a.Snapshot);
        store.Add(b.Snapshot);
        Assert.Equal(1, store.Resolve("#1").Id);
        Assert.Equal(2, store.Resolve("2").Id);
        Assert.Equal(2, store.Resolve("after").Id);
        var error = Assert.Throws<LeakExt.Core.LeakExtException>(() => store.Resolve("nope"));
        Assert.Equal("no snapshot 'nope' in this session; known: #1 (before), #2 (after), or pass a .leaksnap file.", error.Message);
        store.Drop("before");
        Assert.Equal([2], store.All.Select(s => s.Id));
    }
}
