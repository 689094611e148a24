using System.Text.RegularExpressions;
using LeakExt.Commands;
using LeakExt.Commands.Framework;
using LeakExt.Core;
using LeakExt.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace LeakExt.Tests.Unit;

/// <summary>
/// Core's messages name commands as every host does ('fragmentation'); WinDbg's '!' is the host's
/// syntax. Every string literal in src/LeakExt.Core (plain, verbatim, raw and the text of
/// interpolated ones) is read with Roslyn and held to that, for each command of the command table.
/// How to set the symbol path is the host's to say, too.
/// </summary>
public sealed class HostNeutralCoreTests
{
    [Fact]
    public void Core_strings_never_name_a_command_with_a_bang()
    {
        var bang = new Regex($"!({string.Join('|', CommandTable.All.Select(c => Regex.Escape(c.Name)))})\\b", RegexOptions.IgnoreCase);
        string core = Path.Combine(Repository.Root, "src", "LeakExt.Core");
        string[] files = Directory.EnumerateFiles(core, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToArray();
        Assert.True(files.Length > 50, $"only {files.Length} source files under {core}");

        var found = new List<string>();
        int literals = 0;
        foreach (string file in files)
        {
            SyntaxNode root = CSharpSyntaxTree.ParseText(File.ReadAllText(file)).GetRoot();
            foreach (SyntaxToken token in root.DescendantTokens().Where(IsStringText))
            {
                literals++;
                if (bang.Match(token.ValueText) is { Success: true } match)
                    found.Add($"{Path.GetRelativePath(Repository.Root, file)}:{token.GetLocation().GetLineSpan().StartLinePosition.Line + 1}: {match.Value}");
            }
        }
        Assert.True(literals > 500, $"only {literals} string literals read");
        Assert.Empty(found);
    }

    [Fact]
    public void The_scan_sees_interpolated_and_raw_strings()
    {
        SyntaxNode root = CSharpSyntaxTree.ParseText("class C { string A(int n) => $\"x {n} (!fragmentation)\" + \"\"\"!rootpath\"\"\"; }").GetRoot();
        Assert.Equal(["x ", " (!fragmentation)", "!rootpath"], root.DescendantTokens().Where(IsStringText).Select(t => t.ValueText));
    }

    [Fact]
    public void A_DAC_that_will_not_load_says_how_to_set_the_symbol_path_in_this_host()
    {
        var error = new DacLoadException("could not load the .NET runtime's data access library (DAC) for dump a.dmp: not found", new IOException("not found"));
        var output = new StringCommandOutput();
        Assert.Equal("could not load the .NET runtime's data access library (DAC) for dump a.dmp: not found; the symbol path (or _NT_SYMBOL_PATH) must lead to it.",
            new CommandContext { Session = new LeakSession(null), Output = output }.HostMessage(error));
        Assert.Equal("could not load the .NET runtime's data access library (DAC) for dump a.dmp: not found; pass --symbol-path or set _NT_SYMBOL_PATH.",
            new CommandContext { Session = new LeakSession(null), Output = output, SymbolPathHint = LeakExt.Cli.LeakExtApp.SymbolPathHint }.HostMessage(error));
    }

    private static bool IsStringText(SyntaxToken token) => token.Kind() is SyntaxKind.StringLiteralToken or SyntaxKind.InterpolatedStringTextToken
        or SyntaxKind.SingleLineRawStringLiteralToken or SyntaxKind.MultiLineRawStringLiteralToken or SyntaxKind.Utf8StringLiteralToken;
}
