using LeakExt.Commands.Framework;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Unit;

public sealed class AsciiTextTests
{
    [Theory]
    [InlineData("snapdiff.txt")]
    [InlineData("backrefs.txt")]
    public void Rendered_output_becomes_ASCII_with_every_line_as_wide_as_before(string golden)
    {
        string text = File.ReadAllText(Path.Combine(Repository.Root, "tests", "LeakExt.Tests", "Golden", golden));
        Assert.Contains(text, c => c > 0x7F);
        string ascii = AsciiText.Transliterate(text);
        Assert.DoesNotContain(ascii, c => c > 0x7F);
        Assert.DoesNotContain('?', ascii.Except(text));
        Assert.Equal(text.Split('\n').Select(l => l.Length), ascii.Split('\n').Select(l => l.Length));
    }

    [Fact]
    public void Glyphs_map_to_their_nearest_ASCII_and_the_unknown_to_one_question_mark()
    {
        Assert.Equal("static A.s > List<T> items", AsciiText.Transliterate("static A.s › List<T> items"));
        Assert.Equal("`- * root: static X", AsciiText.Transliterate("└─ ◆ root: static X"));
        Assert.Equal("dCount Dictionary<Page, ~>", AsciiText.Transliterate("ΔCount Dictionary<Page, …>"));
        Assert.Equal("_.,-=+*#", AsciiText.Transliterate("▁▂▃▄▅▆▇█"));
        Assert.Equal("Caf? ? x", AsciiText.Transliterate("Café 😀 x"));
        string plain = "no change";
        Assert.Same(plain, AsciiText.Transliterate(plain));
    }
}
