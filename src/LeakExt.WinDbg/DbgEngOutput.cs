using System.Text;
using LeakExt.Commands.Framework;
using LeakExt.Core;
using LeakExt.WinDbg.Interop;

namespace LeakExt.WinDbg;

/// <summary>
/// Command output through IDebugControl. With DML preferred, text is escaped and links become
/// &lt;exec&gt; tags the user clicks to run the next command; otherwise plain text. Text is
/// buffered per line (the engine's output calls are not free, and are made on its thread).
/// </summary>
internal sealed class DbgEngOutput(DebugEngine engine, EngineDispatcher dispatcher, bool dml) : ICommandOutput
{
    private const int FlushThreshold = 8 * 1024;
    private readonly StringBuilder _pending = new();
    private readonly object _gate = new();

    public bool Dml { get; } = dml;

    /// <summary>Progress lines go out as warnings, like the standalone host's progress on stderr, so -json output stays one document.</summary>
    public IProgress<WalkProgress>? Progress { get; } = new LineProgress(line =>
        dispatcher.Invoke(() => engine.Output(DbgEngApi.DEBUG_OUTCTL_AMBIENT_TEXT, DbgEngApi.DEBUG_OUTPUT_WARNING, line + "\n")), "Ctrl-Break cancels");

    public void Write(string text) => Append(Dml ? Escape(text) : text);

    public void WriteLink(string text, string command) =>
        Append(Dml ? $"<exec cmd=\"{Escape(command)}\">{Escape(text)}</exec>" : text);

    public void WriteError(string message)
    {
        Flush();
        dispatcher.Invoke(() => engine.Output(DbgEngApi.DEBUG_OUTCTL_AMBIENT_TEXT, DbgEngApi.DEBUG_OUTPUT_ERROR, "error: " + message + "\n"));
    }

    private void Append(string text)
    {
        bool flush;
        lock (_gate)
        {
            _pending.Append(text);
            flush = _pending.Length >= FlushThreshold || text.Contains('\n');
        }
        if (flush)
            Flush();
    }

    public void Flush()
    {
        string text;
        lock (_gate)
        {
            if (_pending.Length == 0)
                return;
            text = _pending.ToString();
            _pending.Clear();
        }
        uint control = Dml ? DbgEngApi.DEBUG_OUTCTL_AMBIENT_DML : DbgEngApi.DEBUG_OUTCTL_AMBIENT_TEXT;
        dispatcher.Invoke(() => engine.Output(control, DbgEngApi.DEBUG_OUTPUT_NORMAL, text));
    }

    internal static string Escape(string text)
    {
        if (text.AsSpan().IndexOfAny("<>&\"") < 0)
            return text;
        return text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");
    }
}
