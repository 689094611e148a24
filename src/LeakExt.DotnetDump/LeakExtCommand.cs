using LeakExt.Commands;
using LeakExt.Commands.Commands;
using LeakExt.Commands.Framework;
using LeakExt.Core;
using Microsoft.Diagnostics.DebugServices;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.DotnetDump;

/// <summary>
/// One LeakExt command in a DebugServices host. The host's parser passes the whole argument
/// list through (no options are declared here), so options, help and errors are LeakExt's own,
/// exactly as in the standalone host. Subclasses only name the command.
/// </summary>
public abstract class LeakExtCommand : CommandBase
{
    [ServiceImport(Optional = true)]
    public ClrRuntime? Runtime { get; set; }

    [ServiceImport(Optional = true)]
    public IMemoryRegionService? MemoryRegions { get; set; }

    [ServiceImport]
    public LeakExtTargetState State { get; set; } = null!;

    [ServiceImport]
    public IHost Host { get; set; } = null!;

    [Argument(Name = "arguments", Help = "The command's arguments and options, as in every LeakExt host ('-h' lists them).")]
    public string[] Arguments { get; set; } = [];

    /// <summary>The LeakExt command this host command runs.</summary>
    protected abstract string CommandName { get; }

    public override void Invoke()
    {
        if (HostVersions.Mismatch() is { } mismatch)
        {
            Console.WriteError("error: " + mismatch + Environment.NewLine);
            return;
        }
        try
        {
            Run();
        }
        catch (Exception ex) when (ex is MissingMemberException or TypeLoadException)
        {
            // A host whose DebugServices or ClrMD has the same major version but lacks what LeakExt
            // was built against: one line, not a stack trace in the debugger.
            Console.WriteError($"error: {CommandName}: {HostVersions.Describe()}; {ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")}{Environment.NewLine}");
        }
    }

    /// <summary>Separate from <see cref="Invoke"/>, so a missing member fails when this is compiled, inside Invoke's catch.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void Run()
    {
        State.Target.Connect(Runtime, MemoryRegions);
        var context = new CommandContext
        {
            Session = State.Session,
            Output = new HostConsoleOutput(Console, Host.HostType),
            CancellationToken = Console.CancellationToken,
            HostCommandName = name => name == HelpCommand.CommandName ? HelpCommand.HostedName : name,
        };
        CommandDispatcher.Run(CommandName, Arguments ?? [], context);
    }

    [HelpInvoke]
    public string GetDetailedHelp() => CommandTable.Find(CommandName)?.HelpText ?? "";
}

/// <summary>
/// Output through the host's console: ASCII only (these consoles drop or mangle anything else),
/// links as DML where the host renders it (SOS in WinDbg), plain text elsewhere. Under lldb, which
/// cannot interrupt an SOS command and splits quoted arguments, progress and errors say so.
/// </summary>
internal sealed class HostConsoleOutput(IConsoleService console, HostType host) : ICommandOutput
{
    public IProgress<WalkProgress>? Progress { get; } = new LineProgress(line => console.WriteWarning(line + Environment.NewLine),
        host switch
        {
            HostType.DotnetDump => "Ctrl-C cancels",
            HostType.DbgEng => "Ctrl-Break cancels",
            HostType.Lldb => "lldb cannot interrupt SOS commands",
            _ => "the host cannot interrupt it",
        });

    public void Write(string text) => console.Write(AsciiText.Transliterate(text));

    public void WriteLink(string text, string command)
    {
        if (console.SupportsDml)
            console.WriteDmlExec(AsciiText.Transliterate(text), command);
        else
            console.Write(AsciiText.Transliterate(text));
    }

    public void WriteError(string message)
    {
        if (host == HostType.Lldb && message.Contains("unexpected argument", StringComparison.Ordinal))
            message += " (lldb splits quoted arguments: write -name '\\\"two words\\\"')";
        console.WriteError("error: " + AsciiText.Transliterate(message) + Environment.NewLine);
    }
}
