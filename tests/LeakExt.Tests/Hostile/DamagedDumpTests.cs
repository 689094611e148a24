using System.Text.Json;
using LeakExt.Cli;
using LeakExt.Commands;
using LeakExt.Core;
using LeakExt.Commands.Framework;
using LeakExt.Core.Heap;
using LeakExt.Core.Targets;
using LeakExt.Tests.Cli;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Hostile;

/// <summary>
/// Real dumps of the test targets, damaged by the tests the way a crashing process or an attacker
/// would: a MethodTable overwritten with garbage or zeros or the free block's, a string's or an
/// array's length made huge, 64 KiB zeroed, a reference pointed into unmapped memory. Each must read
/// as exactly the clean dump minus what the damage destroyed (<see cref="HeapOracle"/>): the same
/// objects otherwise, one corrupt object per damaged stretch, its bytes counted unreadable, what only
/// it held dead; the same with both readers; totals within committed memory; in bounded time.
/// </summary>
[Collection("dumps")]
public sealed class DamagedDumpTests(DumpFixture fixture)
{
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    private const ulong Garbage = 0x4141414141414141;

    /// <summary>
    /// A damage, and what the damaged dump must read as. Address is where rootpath, retained and backrefs
    /// must find no object, and Refusal how their one-line error starts there (given the command).
    /// </summary>
    internal sealed record Damage(string Name, Action<DamagedDump> Apply, DamageExpectation Expected, ulong Address, Func<string, string> Refusal);

    /// <summary>The refusal at an address inside bytes the walk could not decode.</summary>
    private static Func<string, string> Unreadable(ulong address) => command => $"{command}: 0x{address:x} lies in ";

    /// <summary>The refusal at an address outside the GC heap.</summary>
    private static Func<string, string> NoObject(ulong address) => command => $"{command}: no object starts at 0x{address:x} ";

    public static TheoryData<string> Targets => new() { "Retention", "Roots", "Plugin", "Crash", "WebApp", "Patterns", "HostileNames" };

    internal string DumpOf(string target) => target switch
    {
        "Crawler" => fixture.Dumps("Crawler")[0],
        "Plugin" => fixture.Dumps("Plugin", false, "leaky")[0],
        "Crash" => fixture.CrashDump("Crash", 2, "thread"),
        "WebApp" => fixture.Dumps("WebApp")[^1],
        "Patterns" => fixture.Dumps("Patterns", false, "spike")[0],
        _ => fixture.Dumps(target).Single(),
    };

    /// <summary>The damages to try on a dump: all of them, or those each test target must pass (a MethodTable of garbage, a huge length).</summary>
    internal static List<Damage> Damages(HeapOracle heap, bool all)
    {
        var damages = new List<Damage>();
        (ulong Start, ulong End) Whole(int node) => (heap.Address(node), heap.Address(node) + heap.Extent(node));
        Damage OnObject(string name, int node, Action<DamagedDump, ulong> apply) =>
            new(name, d => apply(d, heap.Address(node)), heap.Without([Whole(node)]), heap.Address(node), Unreadable(heap.Address(node)));

        int plain = Victims.Fixed(heap), text = Victims.String(heap);
        damages.Add(OnObject("MethodTable 0x4141…", plain, (d, at) => d.WriteUInt64(at, Garbage)));
        damages.Add(OnObject("String length 0x7fffffff", text, (d, at) => d.WriteUInt32(at + 8, 0x7fffffff)));
        if (!all)
            return damages;

        int array = Victims.ReferenceArray(heap);
        damages.Add(OnObject("array length 0x100000", array, (d, at) => d.WriteUInt32(at + 8, 0x100000)));
        (ulong start, ulong end) = Victims.ZeroedRun(heap, 64 << 10);
        damages.Add(new Damage("64 KiB zeroed", d => d.Zero(start, 64 << 10), heap.Without([(start, end)]), start, Unreadable(start)));
        damages.Add(OnObject("MethodTable zero", Victims.Fixed(heap), (d, at) => d.WriteUInt64(at, 0)));
        ulong free = heap.Target.Runtime.Heap.FreeType.MethodTable;
        damages.Add(OnObject("the free block's MethodTable", Victims.FixedWithFarLength(heap), (d, at) => d.WriteUInt64(at, free)));
        damages.Add(OnObject("String length 0x100000", text, (d, at) => d.WriteUInt32(at + 8, 0x100000)));
        damages.Add(OnObject("array length 0x7fffffff", array, (d, at) => d.WriteUInt32(at + 8, 0x7fffffff)));
        foreach (bool fromArray in new[] { false, true })
        {
            (int from, int to, ulong offset) = Victims.SoleReference(heap, fromArray);
            ulong nowhere = Unmapped(heap);
            damages.Add(new Damage($"a {(fromArray ? "array slot" : "field")} pointing into unmapped memory",
                d => d.WriteUInt64(heap.Address(from) + offset, nowhere), heap.Without([], (from, to)), nowhere, NoObject(nowhere)));
        }
        return damages;
    }

    /// <summary>An address neither the dump nor the GC heap holds: past the last mapping, 16-byte aligned.</summary>
    private static ulong Unmapped(HeapOracle heap) =>
        (heap.Target.CoreFile!.Segments.Max(s => s.VirtualAddress + s.MemorySize) + (1UL << 30)) & ~15UL;

    [Fact]
    public void Every_damage_reads_as_the_clean_dump_without_what_it_destroyed_with_both_readers() => Check("Crawler", all: true);

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_test_target_survives_the_damages_each_new_target_must_pass(string target) => Check(target, all: false);

    private void Check(string target, bool all)
    {
        using var heap = new HeapOracle(DumpOf(target));
        Assert.True(heap.Reached(new HashSet<int>()).PopCount() == heap.Analysis.Heap.Marks.LiveCount, "the oracle does not reproduce the clean live set");
        using var dump = new DamagedDump(DumpOf(target), fixture.TempFile($"hostile-{target}.dmp"));
        // Every damage is tried whatever the one before gave, so that one run names every failure.
        var failures = new List<string>();
        foreach (Damage damage in Damages(heap, all))
        {
            damage.Apply(dump);
            try
            {
                using var session = new TargetSession(LeakTarget.OpenDump(dump.Path));
                foreach (HeapReaderKind reader in new[] { HeapReaderKind.Fast, HeapReaderKind.ClrMd })
                {
                    string what = $"{target}, {damage.Name}, {reader} reader";
                    try
                    {
                        LiveHeap read = Within(() => session.GetLiveHeap(reader, null, CancellationToken.None), what);
                        AssertReadsAs(damage.Expected, read, what);
                    }
                    catch (Exception ex) when (ex is Xunit.Sdk.XunitException or LeakExtException)
                    {
                        failures.Add($"{what}: {ex.Message}");
                    }
                }
                try
                {
                    AssertCommandsTellTheDamage(dump.Path, damage);
                }
                catch (Xunit.Sdk.XunitException ex)
                {
                    failures.Add($"{target}, {damage.Name}, commands: {ex.Message}");
                }
            }
            finally
            {
                dump.Restore();
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        AssertFreeBlocksAreNoObjects(DumpOf(target), heap);
    }

    /// <summary>
    /// What a user sees on the damaged dump, in the standalone host: the snapshot completes (exit 0) and
    /// says what was skipped, its totals fit in committed memory, no segment is more than all free; at
    /// the damaged address rootpath fails in one line with exit code 1, and so do retained and backrefs;
    /// dominators count no more live bytes than were committed and name nothing at that address.
    /// </summary>
    private static void AssertCommandsTellTheDamage(string dump, Damage damage)
    {
        DamageExpectation expected = damage.Expected;
        CliResult run = Within(() => CliRunner.Run("analyze", dump, "-c", "snapshot", "-c", $"rootpath 0x{damage.Address:x}"), "snapshot, rootpath");
        Assert.True(run.ExitCode == SessionHost.ExitFailure, $"exit code {run.ExitCode}, expected {SessionHost.ExitFailure}: {run.Errors}");
        AssertOneLine(run.Errors, "rootpath");
        Assert.StartsWith("error: " + damage.Refusal("rootpath"), run.Errors);
        if (expected.CorruptObjects + expected.InvalidReferences + expected.UnreadableBytes > 0)
            Assert.Contains($"Warning: {N(expected.CorruptObjects)} corrupt objects, {N(expected.InvalidReferences)} invalid references, " +
                            $"{N(expected.UnresolvedRoots)} roots to no object, {N(expected.UnreadableBytes)} unreadable heap bytes", run.Out);

        using var provider = new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dump)));
        var session = new LeakSession(provider);
        JsonElement snapshot = Sessions.Json(Completes(session, "snapshot -json", damage.Name));
        JsonElement diagnostics = snapshot.GetProperty("diagnostics");
        Assert.Equal(expected.CorruptObjects, diagnostics.GetProperty("corruptObjects").GetInt64());
        Assert.Equal(expected.UnreadableBytes, diagnostics.GetProperty("unreadableBytes").GetInt64());
        AssertWithinCommitted(snapshot.GetProperty("totals"), damage.Name);
        AssertFreeAtMostAll(Sessions.Json(Completes(session, "fragmentation -top 100000 -json", damage.Name)), damage.Name);
        // A length that swallowed its neighbours once made one string the holder of 99.92% of the heap.
        JsonElement dominators = Sessions.Json(Completes(session, "dominators -top 20 -json", damage.Name));
        Assert.True(dominators.GetProperty("liveBytes").GetInt64() <= snapshot.GetProperty("totals").GetProperty("gcCommittedBytes").GetInt64(),
            $"{damage.Name}: dominators over more live bytes than the GC committed");
        Assert.DoesNotContain($"0x{damage.Address:x}", dominators.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("object").GetProperty("address").GetString()));
        foreach (string command in new[] { "retained", "backrefs" })
        {
            (_, string error, bool succeeded) = CompletesOrFailsInOneLine(session, $"{command} 0x{damage.Address:x}", damage.Name);
            Assert.False(succeeded, $"{damage.Name}: {command} found an object at 0x{damage.Address:x}");
            Assert.StartsWith(damage.Refusal(command), error);
        }
    }

    private static string N(long value) => value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Free space is never more than all of the heap, its generation or its segment.</summary>
    private static void AssertFreeAtMostAll(JsonElement fragmentation, string what)
    {
        Assert.True(fragmentation.GetProperty("freeBytes").GetInt64() <= fragmentation.GetProperty("heapBytes").GetInt64(), $"{what}: more free bytes than heap");
        foreach (string part in new[] { "generations", "segments" })
            foreach (JsonElement row in fragmentation.GetProperty(part).EnumerateArray())
                Assert.True(row.GetProperty("freePercent").GetDouble() <= 100, $"{what}: {row.GetProperty("freePercent").GetDouble()}% free in {row}");
    }

    /// <summary>A free block of the (clean) dump is space, not an object: rootpath, retained and backrefs say so in one line.</summary>
    private static void AssertFreeBlocksAreNoObjects(string dump, HeapOracle heap)
    {
        ulong free = heap.Index.FreeStarts[heap.Index.FreeStarts.Length / 2];
        CliResult run = Within(() => CliRunner.Run("analyze", dump, "-c", $"rootpath 0x{free:x}"), "rootpath on a free block");
        Assert.Equal(SessionHost.ExitFailure, run.ExitCode);
        AssertOneLine(run.Errors, "rootpath on a free block");
        Assert.StartsWith($"error: rootpath: 0x{free:x} is free space in the GC heap", run.Errors);
        using var provider = new OpenTargetProvider(new TargetSession(LeakTarget.OpenDump(dump)));
        var session = new LeakSession(provider);
        foreach (string command in new[] { "retained", "backrefs" })
        {
            (_, string error, bool succeeded) = CompletesOrFailsInOneLine(session, $"{command} 0x{free:x}", "a free block");
            Assert.False(succeeded, $"{command} took the free block at 0x{free:x} for an object");
            Assert.StartsWith($"{command}: 0x{free:x} is free space in the GC heap", error);
        }
    }

    internal static void AssertReadsAs(DamageExpectation expected, LiveHeap read, string what)
    {
        HeapIndex index = read.Index;
        Assert.True(expected.StartBits.AsSpan().SequenceEqual(index.StartBits), $"{what}: other objects than the clean dump's, less the destroyed ones");
        Assert.True(expected.MethodTables.SequenceEqual(Enumerable.Range(0, index.ObjectCount).Select(n => index.Types[index.TypeIds[n]].MethodTable)), $"{what}: other types");
        Assert.True(expected.Sizes.SequenceEqual(Enumerable.Range(0, index.ObjectCount).Select(index.SizeOf)), $"{what}: other sizes");
        Assert.True(expected.FreeStarts.AsSpan().SequenceEqual(index.FreeStarts), $"{what}: {index.FreeStarts.Length} free blocks, expected {expected.FreeStarts.Length}");
        Assert.True(expected.CorruptObjects == index.CorruptObjects, $"{what}: {index.CorruptObjects} corrupt objects, expected {expected.CorruptObjects}");
        Assert.True(expected.UnreadableBytes == index.UnreadableBytes, $"{what}: {index.UnreadableBytes} unreadable bytes, expected {expected.UnreadableBytes}");
        Assert.True(expected.MarkBits.AsSpan().SequenceEqual(read.Marks.MarkBits), $"{what}: another live set than the clean one less what only the destroyed objects held");
        Assert.True(expected.InvalidReferences == read.Marks.InvalidReferences, $"{what}: {read.Marks.InvalidReferences} invalid references, expected {expected.InvalidReferences}");
        Assert.True(expected.UnresolvedRoots == read.Marks.UnresolvedRoots,
            $"{what}: {read.Marks.UnresolvedRoots} roots to no object, expected {expected.UnresolvedRoots}: {UnresolvedRoots(read)}");
    }

    /// <summary>The roots that resolve to no object of the index, named, for a failure's message.</summary>
    private static string UnresolvedRoots(LiveHeap read)
    {
        var names = new List<string>();
        for (int r = 0; r < read.Roots.Objects.Length && names.Count < 10; r++)
        {
            ulong root = read.Roots.Objects[r];
            if (read.Index.IndexOf(root) < 0 && (read.Roots.Kinds[r] == RootKind.ConservativeStack || read.Index.IndexOfContaining(root, out _) < 0))
                names.Add($"0x{root:x} {read.Roots.Kinds[r]} {read.Roots.Names[read.Roots.NameIds[r]]}");
        }
        return string.Join("; ", names);
    }

    internal static void AssertWithinCommitted(JsonElement totals, string what)
    {
        long committed = totals.GetProperty("gcCommittedBytes").GetInt64();
        long heapBytes = totals.GetProperty("liveBytes").GetInt64() + totals.GetProperty("deadBytes").GetInt64() + totals.GetProperty("freeBytes").GetInt64();
        Assert.True(heapBytes <= committed, $"{what}: {heapBytes:N0} bytes of objects and free space in {committed:N0} committed bytes");
    }

    /// <summary>Runs a command that must succeed, within <see cref="Patience"/>; returns its output.</summary>
    internal static string Completes(LeakSession session, string command, string what)
    {
        (string output, string errors, CommandDispatcher.Outcome outcome) = Within(() => Sessions.Run(session, command), $"{what}: {command}");
        Assert.True(outcome == CommandDispatcher.Outcome.Succeeded, $"{what}: {command} failed: {errors}");
        return output;
    }

    /// <summary>Runs a command that must complete or fail in one line without a stack trace, within <see cref="Patience"/>.</summary>
    internal static (string Output, string Error, bool Succeeded) CompletesOrFailsInOneLine(LeakSession session, string command, string what)
    {
        (string output, string errors, CommandDispatcher.Outcome outcome) = Within(() => Sessions.Run(session, command), $"{what}: {command}");
        AssertOneLine(errors, $"{what}: {command}");
        return (output, errors.Trim(), outcome == CommandDispatcher.Outcome.Succeeded);
    }

    internal static void AssertOneLine(string errors, string what)
    {
        Assert.True(errors.Trim().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length <= 1, $"{what}: more than one error line:\n{errors}");
        Assert.DoesNotContain("   at ", errors);
        Assert.DoesNotContain("Exception", errors);
    }

    internal static T Within<T>(Func<T> work, string what)
    {
        Task<T> task = Task.Run(work);
        Assert.True(task.Wait(Patience), $"{what}: no answer within {Patience.TotalMinutes} minutes");
        return task.Result;
    }
}
