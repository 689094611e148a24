using LeakExt.Core.Heap;

namespace LeakExt.Tests.Unit;

/// <summary>Sizes near the design's limit of 2^31 objects (docs/benchmarks.md, "The largest heap"), on synthetic values.</summary>
public sealed class HeapLimitTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(64, 1)]
    [InlineData(65, 2)]
    [InlineData(2_147_483_590, 33_554_432)]   // Array.MaxLength - 1 objects: length + 63 passes int.MaxValue
    [InlineData(int.MaxValue, 33_554_432)]
    public void A_bitset_of_any_object_count_has_a_word_per_64_objects(int length, int words) =>
        Assert.Equal(words, Bitset.WordsFor(length));
}
