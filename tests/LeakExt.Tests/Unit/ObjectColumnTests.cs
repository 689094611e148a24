using LeakExt.Core.Heap;

namespace LeakExt.Tests.Unit;

/// <summary>The heap walk's per-part blocks joined into one column: values in order, whatever the parts' sizes.</summary>
public sealed class ObjectColumnTests
{
    private const int Block = ObjectColumn<int>.BlockSize;

    [Theory]
    [InlineData(new[] { 5, 7 })]
    [InlineData(new[] { Block, 3 })]
    [InlineData(new[] { 3, Block })]
    [InlineData(new[] { Block - 1, Block + 1, 2 * Block + 17 })]
    [InlineData(new[] { 0, 10, 0, Block * 3 })]
    [InlineData(new[] { 1, 1, 1 })]
    [InlineData(new[] { 2 * Block + 5, 3 * Block - 5, Block })]
    public void JoiningPartsKeepsEveryValueInOrder(int[] partSizes)
    {
        var blocks = new List<int[]>();
        int total = 0, next = 0;
        foreach (int size in partSizes)
        {
            // A part as the walk leaves it: full blocks of consecutive values, the last one partly used.
            var part = new List<int[]>();
            for (int i = 0; i < size; i++)
            {
                if (i % Block == 0)
                    part.Add(new int[Block]);
                part[^1][i % Block] = next + i;
            }
            ObjectColumn<int>.Append(blocks, ref total, part, size);
            next += size;
        }
        var column = new ObjectColumn<int>(blocks, total);

        Assert.Equal(partSizes.Sum(), column.Count);
        Assert.Equal((partSizes.Sum() + Block - 1) / Block, blocks.Count);
        int[] values = column.ToArray();
        for (int i = 0; i < values.Length; i++)
            Assert.True(values[i] == i && column[i] == i, $"value {i} is {values[i]}");
    }
}
