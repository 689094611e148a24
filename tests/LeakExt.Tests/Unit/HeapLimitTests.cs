using LeakExt.Core.Heap;
using LeakExt.Core.Retention;

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

    [Theory]
    [InlineData(-1, -1)]                        // not reached
    [InlineData(-2, 0)]                         // the first root name, holder state 0
    [InlineData(-1_000_002, 7)]                 // a root name far down the table
    [InlineData(2_147_483_590, 2_147_483_590)]  // the last object of a 2^31-object heap, and as many holder states
    public void Parent_and_holder_share_one_long_per_object_at_any_index(int parent, int holder)
    {
        long packed = RetentionResult.Pack(parent, holder);
        Assert.Equal((parent, holder), (RetentionResult.ParentOf(packed), RetentionResult.HolderOf(packed)));
        Assert.Equal(parent == -1 && holder == -1, packed == 0);
    }

    [Theory]
    [InlineData(24L, 8u, 24L)]                      // below 2 GiB: kept as it is
    [InlineData(3L << 30, 8u, 16L)]                 // a reference array's slot past 2 GiB: every slot names alike
    [InlineData((3L << 30) + 16 + 8, 24u, 24L)]     // a struct array's element past 2 GiB: its place in the element stays
    public void Reference_offsets_past_2_GiB_keep_what_naming_needs(long offset, uint componentSize, long stored) =>
        Assert.Equal(stored, ReferenceBuffer.Storable(offset, componentSize));
}
