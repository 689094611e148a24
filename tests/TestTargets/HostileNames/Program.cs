// Names an attacker would choose, made with Reflection.Emit (C# cannot spell them), and a deep chain.
// One checkpoint, "built":
//
//   static HostileNames.Program.s_keep ─► List<object> ─┬─► "Hostile.Title\e]0;pwned\a"        ×1  (sets the terminal title)
//                                                       ├─► "Hostile.Clear\e[2J"               ×2  (clears the screen)
//                                                       ├─► "Hostile.Carriage\rOverwrite"      ×3  (CR: overwrites the columns)
//                                                       ├─► "Hostile.Reversed\u202Etxt.exe"    ×4  (RTL override: reads backwards)
//                                                       ├─► "Hostile.Marks\u200E\u2066x\u2069" ×5  (LRM, isolates)
//                                                       ├─► "Hostile.Pipe|Star*Name"           ×6  (pattern characters)
//                                                       └─► "Hostile.Long" + L…L + "Q9" (1,000 characters) ×7
//        each instance's field "next\e[31m\r\u202E" (a hostile field name) ─► one "Hostile.Payload" (×28 in all)
//   static HostileNames.Program.s_chain ─► Link ─► Link ─► … ─► Link   (Names.ChainLength = 100,000 Links; the last is the deepest)
// The names and counts are in Names.cs, which the tests compile too.
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using LeakExt.TestTargets;

namespace HostileNames;

public sealed class Link
{
    public Link? Next;
}

public static class Program
{
    private static readonly List<object> s_keep = new();
    private static Link? s_chain;

    public static int Main()
    {
        BuildHostile();
        BuildChain();

        Checkpoint.Reach(1, "built");
        GC.KeepAlive(s_keep);
        GC.KeepAlive(s_chain);
        return 0;
    }

    /// <summary>In a frame of its own, so that no local of Main's holds an instance: only s_keep does.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BuildHostile()
    {
        ModuleBuilder module = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("HostileEmitted"), AssemblyBuilderAccess.Run)
            .DefineDynamicModule("HostileEmitted");
        Type payload = Define(module, "Hostile.Payload", field: null);
        foreach ((string name, int count) in Names.Types)
        {
            Type type = Define(module, name, Names.Field);
            FieldInfo next = type.GetField(Names.Field)!;
            for (int i = 0; i < count; i++)
            {
                object instance = Activator.CreateInstance(type)!;
                next.SetValue(instance, Activator.CreateInstance(payload));
                s_keep.Add(instance);
            }
        }
    }

    private static Type Define(ModuleBuilder module, string name, string? field)
    {
        TypeBuilder type = module.DefineType(name, TypeAttributes.Public | TypeAttributes.Class | TypeAttributes.Sealed, typeof(object));
        if (field is not null)
            type.DefineField(field, typeof(object), FieldAttributes.Public);
        return type.CreateType();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BuildChain()
    {
        s_chain = new Link();
        Link last = s_chain;
        for (int i = 1; i < Names.ChainLength; i++)
        {
            last.Next = new Link();
            last = last.Next;
        }
    }
}
