using System.Text.Json;
using LeakExt.Commands;
using LeakExt.Commands.Framework;
using LeakExt.Core.Heap;
using LeakExt.Core.Snapshots;
using LeakExt.Core.Targets;

namespace LeakExt.Tests.Infrastructure;

internal static class Sessions
{
    public static Snapshot Snapshot(string dump, HeapReaderKind reader = HeapReaderKind.Fast, string? name = null)
    {
        using var session = new TargetSession(LeakTarget.OpenDump(dump));
        return session.TakeSnapshot(name, reader, null, CancellationToken.None);
    }

    public static TypeStats? Type(this Snapshot snapshot, string name) => snapshot.Types.SingleOrDefault(t => t.Type == name);

    public static long Live(this Snapshot snapshot, string name) => snapshot.Type(name)?.Count ?? 0;

    public static long Dead(this Snapshot snapshot, string name) => snapshot.Type(name)?.DeadCount ?? 0;

    /// <summary>Runs command lines in one session and returns (stdout, stderr, last outcome).</summary>
    public static (string Out, string Errors, CommandDispatcher.Outcome Outcome) Run(LeakSession session, params string[] commands)
    {
        var output = new StringCommandOutput();
        CommandDispatcher.Outcome outcome = CommandDispatcher.Outcome.Succeeded;
        foreach (string command in commands)
        {
            outcome = CommandDispatcher.Run(command, new CommandContext { Session = session, Output = output });
            if (outcome != CommandDispatcher.Outcome.Succeeded)
                break;
        }
        return (output.Text, output.Errors, outcome);
    }

    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;
}
