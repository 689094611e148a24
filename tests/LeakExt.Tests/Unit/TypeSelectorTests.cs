using LeakExt.Core;

namespace LeakExt.Tests.Unit;

/// <summary>-type reads names as we print them: exact full name, then our short name, then only an explicit glob.</summary>
public sealed class TypeSelectorTests
{
    private static readonly string[] Names =
    [
        "Crawler.Hyperlink",
        "Crawler.Hyperlink[]",
        "System.Collections.Generic.List<Crawler.Hyperlink>",
        "System.Collections.Generic.Dictionary<Crawler.Page, System.Collections.Generic.List<Crawler.Hyperlink>>",
        "Crawler.Page",
        "Other.Page",
    ];

    private static TypeSelection Select(string text) => TypeSelector.Select("backrefs", text, Names);

    [Fact]
    public void A_short_name_chooses_that_type_alone_not_its_arrays_or_lists()
    {
        TypeSelection selection = Select("Hyperlink");
        Assert.Equal(["Crawler.Hyperlink"], selection.Types);
        Assert.Equal("short name", selection.Rule);
    }

    [Theory]
    [InlineData("Crawler.Hyperlink", "exact", "Crawler.Hyperlink")]
    [InlineData("Hyperlink[]", "short name", "Crawler.Hyperlink[]")]
    [InlineData("List<Hyperlink>", "short name", "System.Collections.Generic.List<Crawler.Hyperlink>")]
    [InlineData("list<hyperlink>", "short name", "System.Collections.Generic.List<Crawler.Hyperlink>")]
    [InlineData("crawler.page", "exact", "Crawler.Page")]
    public void Full_and_short_names_as_printed(string text, string rule, string type)
    {
        TypeSelection selection = Select(text);
        Assert.Equal([type], selection.Types);
        Assert.Equal(rule, selection.Rule);
    }

    [Fact]
    public void A_short_name_two_types_share_chooses_both()
    {
        Assert.Equal(["Crawler.Page", "Other.Page"], Select("Page").Types);
    }

    [Fact]
    public void Only_an_explicit_glob_takes_in_every_name_containing_it()
    {
        TypeSelection selection = Select("*Hyperlink*");
        Assert.Equal("pattern", selection.Rule);
        Assert.Equal(Names.Take(4).Order(StringComparer.Ordinal), selection.Types);
        Assert.Equal(["System.Collections.Generic.List<Crawler.Hyperlink>"], Select("List<*>").Types);
    }

    [Fact]
    public void Alternatives_add_up_and_say_each_rule()
    {
        TypeSelection selection = Select("Hyperlink|Crawler.Page");
        Assert.Equal(["Crawler.Hyperlink", "Crawler.Page"], selection.Types);
        Assert.Equal("exact, short name", selection.Rule);
    }

    [Fact]
    public void No_match_is_one_line_naming_the_near_types_and_the_pattern_to_write()
    {
        var near = Assert.Throws<LeakExtException>(() => Select("Hyper"));
        Assert.Equal("backrefs: no type is named 'Hyper'; did you mean Dictionary<Page, List<Hyperlink>>, Hyperlink, Hyperlink[], List<Hyperlink>? "
                     + "For all of them write '*Hyper*'.", near.Message);
        var none = Assert.Throws<LeakExtException>(() => Select("Invoice"));
        Assert.Equal("backrefs: no type is named 'Invoice' (full or short name); for a pattern write '*Invoice*'.", none.Message);
        var glob = Assert.Throws<LeakExtException>(() => Select("*Invoice*"));
        Assert.Equal("backrefs: no type matches the pattern '*Invoice*'.", glob.Message);
    }
}
