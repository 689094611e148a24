using LeakExt.Core.Heap;
using LeakExt.Core.Targets;
using LeakExt.Tests.Infrastructure;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Tests.Dumps;

/// <summary>
/// Type names made from a generic definition's pattern (<see cref="TypeNames"/>) are the names the DAC
/// gives, type by type, on the Generics target (every shape of instantiation) and on real programs.
/// </summary>
[Collection("dumps")]
public sealed class TypeNameTests(DumpFixture fixture)
{
    [Fact]
    public void Every_type_is_named_as_a_fresh_ClrMD_names_it()
    {
        string[] dumps =
        [
            fixture.Dumps("Generics").Single(),
            fixture.Dumps("WebApp")[^1],
            fixture.Dumps("Plugin", false, "leaky")[0],
            fixture.Dumps("Crawler")[^1],
            fixture.Dumps("HostileNames").Single(),
        ];
        foreach (string dump in dumps)
        {
            using var target = LeakTarget.OpenDump(dump);
            HeapIndex index = LiveHeap.Build(target, HeapReaderKind.Fast, null, CancellationToken.None).Index;
            // Another ClrMD runtime over the same dump, whose types have asked nothing yet: every name from the DAC.
            using var fresh = LeakTarget.OpenDump(dump);
            ClrHeap freshHeap = fresh.Runtime.Heap;
            for (int id = 0; id < index.Types.Count; id++)
            {
                ulong methodTable = index.Types[id].MethodTable;
                Assert.Equal(freshHeap.GetTypeByMethodTable(methodTable)?.Name, index.Types.TryNameOf(id));
            }
            Assert.True(index.Types.Names.FromPatterns > 0 || dump.Contains("HostileNames"),
                $"{Path.GetFileName(Path.GetDirectoryName(dump))}: no generic instantiation was named from a pattern");
        }
    }

    [Fact]
    public void Each_generic_definition_is_asked_of_the_DAC_twice_then_named_from_its_pattern()
    {
        using var target = LeakTarget.OpenDump(fixture.Dumps("Generics").Single());
        HeapIndex index = LiveHeap.Build(target, HeapReaderKind.Fast, null, CancellationToken.None).Index;
        for (int id = 0; id < index.Types.Count; id++)
            index.Types.NameOf(id);
        var patterns = index.Types.Names.Patterns.Where(p => p.Prefix.StartsWith("Generics.", StringComparison.Ordinal))
            .ToDictionary(p => $"{p.Prefix}<{p.Arity}>{p.Suffix}");

        // Pair: its 86 instantiations on the heap, and Pair<String, Int32>, met as an argument of
        // Dictionary<Int32, Pair<String, Int32>> (Pair<Int32, Int32>[] is an array, named by the DAC whole).
        Assert.Equal((Generics.Counts.PairTypes + 1 - 2, false), (patterns["Generics.Pair<2>"].Named, patterns["Generics.Pair<2>"].Refused));
        Assert.Equal((3 - 2, false), (patterns["Generics.Outer<1>+Plain"].Named, patterns["Generics.Outer<1>+Plain"].Refused));
        // Two dictionaries (Base's, then its own): the arguments are the last one's.
        Assert.Equal((3 - 2, false), (patterns["Generics.Derived<1>"].Named, patterns["Generics.Derived<1>"].Refused));
        Assert.Equal((3 - 2, false), (patterns["Generics.Slot<1>"].Named, patterns["Generics.Slot<1>"].Refused));
        Assert.Equal((0, false), (patterns["Generics.Triple<3>"].Named, patterns["Generics.Triple<3>"].Refused));
        // Outer<A>+Inner<B> has the arguments A, B, which its name does not list together: the DAC names every one.
        string[] inner = Enumerable.Range(0, index.Types.Count).Select(index.Types.NameOf).Where(n => n.Contains("+Inner<")).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["Generics.Outer<System.Int32>+Inner<System.String>", "Generics.Outer<System.String>+Inner<System.Int32>",
            "Generics.Outer<System.Uri>+Inner<System.Version>"], inner);
    }
}
