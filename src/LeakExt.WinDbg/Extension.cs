using System.Runtime.InteropServices;
using LeakExt.Commands;
using LeakExt.Commands.Framework;
using LeakExt.WinDbg.Interop;

namespace LeakExt.WinDbg;

/// <summary>
/// The DbgEng extension: the entry points the debugger calls, and the state that outlives a
/// command. Snapshots live for as long as the extension is loaded (so they survive `g` and a
/// change of dump); the opened target and its caches live while the target stays stopped.
/// Every export catches everything: an exception escaping into the debugger would end it.
/// </summary>
public static unsafe partial class Extension
{
    private static readonly object Gate = new();
    private static readonly EngineDispatcher Dispatcher = new();
    private static readonly DebuggerTarget Target = new(Dispatcher);
    private static readonly LeakSession Session = new(Target);

    [UnmanagedCallersOnly(EntryPoint = "DebugExtensionInitialize")]
    public static int DebugExtensionInitialize(uint* version, uint* flags)
    {
        if (version is not null)
            *version = DbgEngApi.ExtensionVersion;
        if (flags is not null)
            *flags = 0;
        return HResults.S_OK;
    }

    [UnmanagedCallersOnly(EntryPoint = "DebugExtensionUninitialize")]
    public static void DebugExtensionUninitialize()
    {
        try
        {
            lock (Gate)
            {
                Target.Invalidate();
                Session.Snapshots.Clear();
            }
        }
        catch (Exception)
        {
            // Unloading must not fail; nothing is left to report to.
        }
    }

    /// <summary>Any change of session state means the target may have run or changed: drop what we computed on it.</summary>
    [UnmanagedCallersOnly(EntryPoint = "DebugExtensionNotify")]
    public static void DebugExtensionNotify(uint notify, ulong argument)
    {
        try
        {
            if (notify is DbgEngApi.DEBUG_NOTIFY_SESSION_ACTIVE or DbgEngApi.DEBUG_NOTIFY_SESSION_INACTIVE
                       or DbgEngApi.DEBUG_NOTIFY_SESSION_INACCESSIBLE)
            {
                lock (Gate)
                    Target.Invalidate();
            }
        }
        catch (Exception)
        {
            // A failed dispose leaves nothing to recover; the next command reopens the target.
        }
    }

    /// <summary>Runs one command for the debugger: <paramref name="name"/> with the argument text the user typed.</summary>
    internal static int Run(string name, nint client, byte* arguments)
    {
        try
        {
            string argumentText = NativeText.FromAnsi(arguments);
            lock (Gate)
            {
                using var engine = new DebugEngine(client);
                Target.Connect(engine);
                bool dml = (engine.GetEngineOptions() & DbgEngApi.DEBUG_ENGOPT_PREFER_DML) != 0;
                var output = new DbgEngOutput(engine, Dispatcher, dml);
                CommandDispatcher.Outcome outcome = Dispatcher.Run(cancellation =>
                {
                    var context = new CommandContext { Session = Session, Output = output, CancellationToken = cancellation };
                    CommandDispatcher.Outcome result = CommandDispatcher.Run(name + " " + argumentText, context);
                    output.Flush();
                    return result;
                }, engine.InterruptRequested);
                return outcome switch
                {
                    CommandDispatcher.Outcome.Succeeded => HResults.S_OK,
                    CommandDispatcher.Outcome.Cancelled => HResults.Cancelled,
                    _ => HResults.E_FAIL,
                };
            }
        }
        catch (Exception ex)
        {
            ReportFailure(client, name, ex);
            return HResults.E_FAIL;
        }
    }

    private static void ReportFailure(nint client, string name, Exception ex)
    {
        try
        {
            string message = TerminalText.Escape(ex.Message.ReplaceLineEndings(" "));
            // A debugger that lacks an interface we need is the environment, not a bug of ours.
            string text = ex is DebugEngineException
                ? $"error: {name}: {message}; LeakExt needs a DbgEng debugger (WinDbg, cdb) with IDebugControl4.\n"
                : $"error: {name}: {message} ({ex.GetType().Name}; please report this at the LeakExt issue tracker)\n";
            var control = ComInterface.Query(client, DbgEngApi.IID_IDebugControl4);
            if (control.IsNull)
                return;
            try
            {
                DebugEngine.Output(control, DbgEngApi.DEBUG_OUTCTL_AMBIENT_TEXT, DbgEngApi.DEBUG_OUTPUT_ERROR, text);
            }
            finally
            {
                control.Release();
            }
        }
        catch (Exception)
        {
            // No way left to tell the user.
        }
    }
}
