// One growth pattern per run, over 6 phases, a checkpoint after each: Growth <scenario>.
//
//   leak           static Growth.Scenarios.s_orders ─► List<LeakedOrder>: +20,000 orders (each with a 64-byte array) per phase
//   plateau        static Growth.Scenarios.s_names ─► Dictionary<string, InternedName> ─► InternedName ─► byte[512]: an
//                  intern table fed 5,000 words a phase drawn from a 3,000-word vocabulary with Zipf-like frequencies:
//                  it fills (about 600 KiB from phase 1 to 6, above heapgrowth's 256 KiB floor), then levels off
//   churn          20,000 Scratch objects a phase, dropped at once; 1,000 Keepers stay: no growth
//   native         8 MiB a phase from Marshal.AllocHGlobal, written and never freed; the managed heap is flat
//   fragmentation  phase k allocates k × 40,000 byte[200] (more than the gaps left so far) with every 2,000th pinned
//                  forever, the rest dropped and collected: the pinned ones hold their regions open, so free space
//                  inside the GC heap grows phase after phase while live bytes stay flat
//   finalizer      500 Blocked objects a phase whose finalizers wait on a gate that never opens: the queue grows
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LeakExt.TestTargets;

namespace Growth;

public sealed class LeakedOrder(int id)
{
    public int Id { get; } = id;
    public byte[] Lines { get; } = new byte[64];
}

public sealed class InternedName(string text)
{
    public string Text { get; } = text;
    public byte[] Notes { get; } = new byte[512];
}

public sealed class Scratch(int id)
{
    public int Id { get; } = id;
}

public sealed class Keeper(int id)
{
    public int Id { get; } = id;
}

public sealed class Blocked
{
    public static readonly ManualResetEventSlim Gate = new(false);
    public byte[] Payload { get; } = new byte[256];

    ~Blocked() => Gate.Wait();
}

public static class Scenarios
{
    public static readonly List<LeakedOrder> s_orders = new();
    public static readonly Dictionary<string, InternedName> s_names = new();
    public static readonly List<Keeper> s_keepers = new();
    public static readonly List<GCHandle> s_pins = new();
    public static readonly List<IntPtr> s_native = new();
    private static readonly Random s_random = new(1234);
    private static readonly double[] s_zipf = BuildZipf(3000, 0.8);

    private static double[] BuildZipf(int words, double exponent)
    {
        var cumulative = new double[words];
        double sum = 0;
        for (int i = 0; i < words; i++)
            cumulative[i] = sum += 1 / Math.Pow(i + 1, exponent);
        for (int i = 0; i < words; i++)
            cumulative[i] /= sum;
        return cumulative;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Run(string scenario, int phase)
    {
        switch (scenario)
        {
            case "leak":
                for (int i = 0; i < 20_000; i++)
                    s_orders.Add(new LeakedOrder(phase * 20_000 + i));
                break;
            case "plateau":
                for (int i = 0; i < 5_000; i++)
                {
                    int word = Array.BinarySearch(s_zipf, s_random.NextDouble());
                    string text = "word" + (word < 0 ? ~word : word);
                    if (!s_names.ContainsKey(text))
                        s_names[text] = new InternedName(text);
                }
                break;
            case "churn":
                if (phase == 1)
                    for (int i = 0; i < 1000; i++)
                        s_keepers.Add(new Keeper(i));
                for (int i = 0; i < 20_000; i++)
                    _ = new Scratch(i);
                break;
            case "native":
                IntPtr block = Marshal.AllocHGlobal(8 << 20);
                for (int offset = 0; offset < 8 << 20; offset += 4096)
                    Marshal.WriteByte(block, offset, 1);
                s_native.Add(block);
                break;
            case "fragmentation":
                Fragment(phase * 40_000);
                break;
            case "finalizer":
                for (int i = 0; i < 500; i++)
                    _ = new Blocked();
                break;
            default:
                throw new ArgumentException($"unknown scenario '{scenario}'");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Fragment(int count)
    {
        var arrays = new byte[count][];
        for (int i = 0; i < arrays.Length; i++)
        {
            arrays[i] = new byte[200];
            if (i % 2000 == 0)
                s_pins.Add(GCHandle.Alloc(arrays[i], GCHandleType.Pinned));
        }
        GC.KeepAlive(arrays);
    }
}

public static class Program
{
    public static int Main(string[] args)
    {
        string scenario = args.Length > 0 ? args[0] : "leak";
        for (int phase = 1; phase <= 6; phase++)
        {
            Scenarios.Run(scenario, phase);
            // Settle before each dump (but not for churn, which must leave its garbage in the heap).
            if (scenario != "churn")
            {
                GC.Collect();
                if (scenario != "finalizer")
                    GC.WaitForPendingFinalizers();
                GC.Collect();
            }
            Checkpoint.Reach(phase, $"{scenario}-phase-{phase}");
        }
        // Let the blocked finalizers finish, or the runtime cannot shut down.
        Blocked.Gate.Set();
        return 0;
    }
}
