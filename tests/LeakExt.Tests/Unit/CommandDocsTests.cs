using System.Text;
using LeakExt.Commands;
using LeakExt.Commands.Framework;
using LeakExt.Tests.Infrastructure;

namespace LeakExt.Tests.Unit;

/// <summary>docs/commands.md is generated from the command declarations, so it cannot drift from the help the hosts print.</summary>
public sealed class CommandDocsTests
{
    [Fact]
    public void Commands_doc_matches_the_declarations()
    {
        var text = new StringBuilder();
        text.Append("# Commands\n\n");
        text.Append("Generated from the command declarations (`LEAKEXT_UPDATE_GOLDEN=1 ./build.sh test` rewrites it). ");
        text.Append("Every host takes the same arguments and prints the same output; a leading `!` is optional in the standalone host. ");
        text.Append("Addresses are hex with or without `0x`. JSON schemas: [json.md](json.md).\n");
        foreach (CommandDefinition command in CommandTable.All)
        {
            text.Append("\n## ").Append(command.Name).Append("\n\n```\n").Append(command.HelpText.TrimEnd()).Append("\n```\n");
        }
        text.Append('\n').Append(OutputFileOption.Documentation.TrimEnd()).Append('\n');
        text.Append('\n').Append(TerminalText.Documentation.TrimEnd()).Append('\n');
        Golden.CheckFile(Path.Combine(Repository.Root, "docs", "commands.md"), text.ToString());
    }
}
