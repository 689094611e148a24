using System.Diagnostics;
using LeakExt.Core;

namespace LeakExt.Tests.Hostile;

/// <summary>-type patterns: our own glob, linear in the name whatever the pattern; an empty pattern is an error.</summary>
public sealed class TypePatternTests
{
    private static bool Matches(string pattern, string name) => TypePattern.Parse(pattern, "test").Matches(name);

    [Theory]
    [InlineData("Crawler.Hyperlink", "Crawler.Hyperlink", true)]
    [InlineData("hyperlink", "Crawler.Hyperlink", true)]           // no wildcard: a substring, case-insensitive
    [InlineData("Crawler.*", "Crawler.Hyperlink", true)]
    [InlineData("*.Hyperlink", "Crawler.Hyperlink", true)]
    [InlineData("*link", "Crawler.Hyperlink[]", false)]           // a glob matches the whole name
    [InlineData("Crawler.*Link*", "Crawler.Hyperlink[]", true)]
    [InlineData("Crawler.?yperlink", "Crawler.Hyperlink", true)]
    [InlineData("Crawler.?yperlink", "Crawler.yperlink", false)]
    [InlineData("*List<*>", "System.Collections.Generic.List<Crawler.Page>", true)]
    [InlineData("*a*a*a*", "banana", true)]
    [InlineData("*a*a*a*a*", "banana", false)]
    [InlineData("b*n*n*", "banana", true)]
    [InlineData("*", "", true)]
    [InlineData("**", "x", true)]
    [InlineData("Page|Hyperlink", "Crawler.Hyperlink", true)]
    [InlineData("Page | *.Order", "Shop.Order", true)]
    [InlineData("Page|Order", "Crawler.Hyperlink", false)]
    [InlineData("Pipe|Star*Name", "Hostile.Pipe|Star*Name", true)]  // the alternatives 'Pipe' (a substring) and 'Star*Name'
    public void Globs_substrings_and_alternatives(string pattern, string name, bool expected) =>
        Assert.Equal(expected, Matches(pattern, name));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("A|")]
    [InlineData("|B")]
    [InlineData("A||B")]
    public void Empty_patterns_and_alternatives_are_errors(string pattern)
    {
        var error = Assert.Throws<LeakExtException>(() => TypePattern.Parse(pattern, "retained"));
        Assert.StartsWith("retained: -type ", error.Message);
        Assert.DoesNotContain("\n", error.Message);
    }

    [Fact]
    public void A_pathological_pattern_against_a_long_name_answers_at_once()
    {
        // '*L*L*L*X' as a backtracking regex (^.*L.*L.*L.*X$) against 1,000 L's tries on the order of n^3 splits: minutes.
        string name = "Hostile.Long" + new string('L', 986) + "Q9";
        TypePattern pattern = TypePattern.Parse("*L*L*L*X", "retained");
        TypePattern many = TypePattern.Parse(string.Concat(Enumerable.Repeat("*L", 400)) + "*X", "retained");
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 1000; i++)
        {
            Assert.False(pattern.Matches(name));
            Assert.False(many.Matches(name));
        }
        Assert.True(Matches("*L*L*L*Q9", name));
        // Generous: a thousand rounds of both take milliseconds; a backtracking matcher would not finish one.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"{clock.Elapsed.TotalSeconds:0.0} s");
    }
}
