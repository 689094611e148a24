namespace LeakExt.Core.Retention;

/// <summary>
/// The framework's plumbing: code that reaches everything an app holds (the socket engine, the
/// thread pool's queues, Kestrel's transport, cancellation and change-token callbacks, event
/// sources) but explains none of it. Root paths and holders go through plumbing only where
/// nothing else reaches an object, as PerfView's spanning tree weighs framework nodes down.
/// One list, matched against full type names (generic arguments included, so a Kestrel async
/// state machine counts).
/// </summary>
internal static class FrameworkPlumbing
{
    private static readonly string[] Markers =
    [
        "System.Net.Sockets.", "System.Net.Http.", "System.IO.Pipelines.",
        "System.Threading.ThreadPoolWorkQueue", "System.Threading.PortableThreadPool", "System.Threading.ThreadPool+", "System.Threading.ThreadPool.",
        "System.Threading.CancellationTokenSource+CallbackNode", "System.Threading.CancellationTokenSource+Registrations",
        "Microsoft.Extensions.Primitives.ChangeToken+ChangeTokenRegistration", "Microsoft.Extensions.Primitives.CompositeChangeToken",
        "System.Diagnostics.Tracing.",
        "Microsoft.AspNetCore.Server.", "Microsoft.AspNetCore.Connections.",
    ];

    private static readonly string[] FrameworkNamespaces = ["System.", "Microsoft.", "Internal.", "Interop", "MS.", "Windows."];

    public static bool IsPlumbing(string typeName)
    {
        foreach (string marker in Markers)
            if (typeName.Contains(marker, StringComparison.Ordinal))
                return true;
        return false;
    }

    public static bool IsFramework(string typeName)
    {
        foreach (string ns in FrameworkNamespaces)
            if (typeName.StartsWith(ns, StringComparison.Ordinal))
                return true;
        return false;
    }
}
