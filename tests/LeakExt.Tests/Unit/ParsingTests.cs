using LeakExt.Commands;
using LeakExt.Commands.Commands;
using LeakExt.Commands.Framework;
using LeakExt.Core;
using LeakExt.Core.Capture;
using LeakExt.Core.Snapshots;
using LeakExt.Core.Targets;

namespace LeakExt.Tests.Unit;

public sealed class ParsingTests
{
    [Fact]
    public void Symbol_paths_in_debugger_syntax()
    {
        SymbolPath path = SymbolPath.Parse(@"srv*C:\symcache*https://msdl.microsoft.com/download/symbols;D:\mysyms; cache*E:\cache ")!;
        Assert.Equal([@"C:\symcache", "https://msdl.microsoft.com/download/symbols", @"D:\mysyms"], path.Locations);
        Assert.Equal(@"C:\symcache", path.CachePath);

        Assert.Equal(["https://symbols.example/"], SymbolPath.Parse("SRV*https://symbols.example/")!.Locations);
        Assert.Equal(["/cache", "https://s.example"], SymbolPath.Parse("symsrv*symsrv.dll*/cache*https://s.example")!.Locations);
        Assert.Null(SymbolPath.Parse("  "));
        Assert.Null(SymbolPath.Parse(null));
    }

    [Fact]
    public void Command_lines_split_on_spaces_and_keep_quoted_text()
    {
        Assert.Equal(["snapshot", "-name", "after login", "-save", "/tmp/a b.leaksnap"],
            CommandLineSplitter.Split("  snapshot -name \"after login\"   -save \"/tmp/a b.leaksnap\" "));
        Assert.Equal(["x", "say \"hi\""], CommandLineSplitter.Split("x \"say \\\"hi\\\"\""));
        Assert.Equal(["a", ""], CommandLineSplitter.Split("a \"\""));
        Assert.Throws<LeakExtException>(() => CommandLineSplitter.Split("a \"b"));
    }

    [Fact]
    public void Options_accept_one_or_two_dashes_and_inline_values()
    {
        var command = new SnapDiffCommand();
        SnapDiffOptions options = command.Parse(["#1", "--top=5", "-TYPE", "Foo*", "-sort", "count", "#2", "-json"]);
        Assert.Equal(("#1", "#2", 5, "Foo*", DiffSort.Count, true), (options.A, options.B, options.Top, options.TypePattern, options.Sort, options.Json));
        Assert.True(command.Parse(["-?"]).Help);
    }

    [Fact]
    public void Checkpoint_lines()
    {
        Assert.True(CheckpointProtocol.TryParse("LEAKEXT-CHECKPOINT 2 after-login", out int n, out string label));
        Assert.Equal((2, "after-login"), (n, label));
        Assert.True(CheckpointProtocol.TryParse("LEAKEXT-CHECKPOINT 3 phase three pid=4242", out n, out label, out int? pid));
        Assert.Equal((3, "phase three", 4242), (n, label, pid));
        Assert.False(CheckpointProtocol.TryParse("hello", out _, out _));
        Assert.True(CheckpointProtocol.TryParse("LEAKEXT-CHECKPOINT 1 spike gc-committed=42512384 gc-gen0=-1 pid=17", out n, out label, out pid, out var facts));
        Assert.Equal((1, "spike", 17), (n, label, pid));
        Assert.Equal(new Dictionary<string, long> { ["gc-committed"] = 42512384, ["gc-gen0"] = -1 }, facts);
    }

    [Fact]
    public void Every_command_has_generated_help_and_is_listed()
    {
        var session = new LeakSession(null);
        var output = new StringCommandOutput();
        Assert.Equal(CommandDispatcher.Outcome.Succeeded, CommandDispatcher.Run("help", new CommandContext { Session = session, Output = output }));
        foreach (CommandDefinition command in CommandTable.All)
        {
            Assert.Contains($"  {command.Name} ", output.Text);
            var help = new StringCommandOutput();
            Assert.Equal(CommandDispatcher.Outcome.Succeeded, CommandDispatcher.Run($"!{command.Name} -h", new CommandContext { Session = session, Output = help }));
            Assert.StartsWith($"usage: {command.Name}", help.Text);
            Assert.Contains("-json", help.Text);
        }
    }
}
