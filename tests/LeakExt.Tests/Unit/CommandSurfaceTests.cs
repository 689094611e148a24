using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using LeakExt.Commands;
using LeakExt.Commands.Commands;
using LeakExt.Commands.Framework;
using LeakExt.Generators;
using LeakExt.Tests.Hosts;
using LeakExt.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace LeakExt.Tests.Unit;

/// <summary>
/// Every declared command reaches every host, read from what the build produced (the generator
/// writes each host's list from the [DeclaredCommand] classes), and the generator refuses a
/// command it cannot list.
/// </summary>
public sealed class CommandSurfaceTests
{
    private static readonly string[] DeclaredNames = [.. CommandTable.All.Select(c => c.Name)];

    [Fact]
    public void The_table_lists_each_declared_command_once_in_help_order()
    {
        Assert.Equal(["snapshot", "snapshots", "snapdiff", "heapgrowth", "backrefs", "rootpath", "retained", "dominators", "fragmentation", "help"], DeclaredNames);
        Assert.All(typeof(CommandTable).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(CommandDefinition)) && !t.IsAbstract),
            type => Assert.Contains(CommandTable.All, c => c.GetType() == type));
    }

    [DotnetDumpFact]
    public void The_debugservices_adapter_has_a_host_command_per_declared_command()
    {
        List<(string Type, string Name)> hosted = AttributedTypes(DotnetDumpHost.Adapter, "Microsoft.Diagnostics.DebugServices.CommandAttribute", "Name");
        Assert.Equal(DeclaredNames.Select(n => n == HelpCommand.CommandName ? HelpCommand.HostedName : n).Order(), hosted.Select(h => h.Name).Order());
    }

    [WinDbgAssemblyFact]
    public void The_windbg_extension_exports_each_declared_command_under_its_name()
    {
        List<(string Method, string Name)> exports = AttributedMethods(WinDbgAssemblyFactAttribute.Path, "System.Runtime.InteropServices.UnmanagedCallersOnlyAttribute", "EntryPoint");
        string[] extensionEntryPoints = ["DebugExtensionInitialize", "DebugExtensionUninitialize", "DebugExtensionNotify"];
        Assert.Equal(DeclaredNames.Concat(extensionEntryPoints).Order(), exports.Select(e => e.Name).Order());
    }

    [Fact]
    public void The_generator_refuses_a_command_without_its_constants_and_two_commands_in_one_position()
    {
        const string source = """
            namespace LeakExt.Commands.Framework
            {
                [System.AttributeUsage(System.AttributeTargets.Class)]
                public sealed class DeclaredCommandAttribute(int position) : System.Attribute { public int Position { get; } = position; }
                public abstract class CommandDefinition { }
            }
            namespace Sample
            {
                using LeakExt.Commands.Framework;
                [DeclaredCommand(1)] public sealed class FirstCommand : CommandDefinition { public const string CommandName = "first"; public const string SummaryText = "One."; }
                [DeclaredCommand(1)] public sealed class SecondCommand : CommandDefinition { public const string CommandName = "second"; public const string SummaryText = "Two."; }
                [DeclaredCommand(2)] public sealed class NamelessCommand : CommandDefinition { public const string SummaryText = "None."; }
            }
            """;
        ImmutableArray<Diagnostic> problems = Generate(source, "table", out _);
        Assert.Equal(["LEAKEXT001", "LEAKEXT002"], problems.Select(p => p.Id).Order());
        Assert.Contains(problems, p => p.GetMessage().Contains("'Sample.NamelessCommand' must declare 'public const string CommandName'"));
        Assert.Contains(problems, p => p.GetMessage().Contains("position 1"));
    }

    [Fact]
    public void The_generator_writes_each_surface_from_the_constants()
    {
        const string source = """
            namespace LeakExt.Commands.Framework
            {
                [System.AttributeUsage(System.AttributeTargets.Class)]
                public sealed class DeclaredCommandAttribute(int position) : System.Attribute { public int Position { get; } = position; public string? HostedName { get; init; } public string? HostedSummary { get; init; } }
                public abstract class CommandDefinition { }
            }
            namespace Sample
            {
                using LeakExt.Commands.Framework;
                [DeclaredCommand(2)] public sealed class LaterCommand : CommandDefinition { public const string CommandName = "later"; public const string SummaryText = "Later."; }
                [DeclaredCommand(1, HostedName = "hosted", HostedSummary = "Says \"hi\".")] public sealed class EarlierCommand : CommandDefinition { public const string CommandName = "earlier"; public const string SummaryText = "Earlier."; }
            }
            """;
        Assert.Empty(Generate(source, "table", out string table));
        Assert.True(table.IndexOf("new global::Sample.EarlierCommand()", StringComparison.Ordinal) < table.IndexOf("new global::Sample.LaterCommand()", StringComparison.Ordinal), table);

        Assert.Empty(Generate(source, "windbg", out string exports));
        Assert.Contains("[global::System.Runtime.InteropServices.UnmanagedCallersOnly(EntryPoint = global::Sample.LaterCommand.CommandName)]", exports);
        Assert.Contains("public static int Later(nint client, byte* arguments) => Run(global::Sample.LaterCommand.CommandName, client, arguments);", exports);

        Assert.Empty(Generate(source, "debugservices", out string hosted));
        Assert.Contains("Command(Name = \"hosted\", Help = \"Says \\\"hi\\\".\")]\npublic sealed class Earlier : LeakExtCommand", hosted);
        Assert.Contains("Command(Name = global::Sample.LaterCommand.CommandName, Help = global::Sample.LaterCommand.SummaryText)]", hosted);
    }

    /// <summary>Runs the generator on one source file; returns its diagnostics and the text it wrote.</summary>
    private static ImmutableArray<Diagnostic> Generate(string source, string surface, out string written)
    {
        CSharpCompilation compilation = CSharpCompilation.Create("Sample",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))],
            [MetadataReference.CreateFromFile(typeof(object).Assembly.Location), MetadataReference.CreateFromFile(typeof(Attribute).Assembly.Location)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new CommandSurfaceGenerator().AsSourceGenerator()],
            optionsProvider: new SurfaceOptions(surface));
        GeneratorDriverRunResult result = driver.RunGenerators(compilation).GetRunResult();
        written = string.Concat(result.GeneratedTrees.Select(t => t.ToString()));
        return result.Diagnostics;
    }

    private sealed class SurfaceOptions(string surface) : Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptionsProvider
    {
        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GlobalOptions { get; } = new Options(surface);
        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options(null);
        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Options(null);

        private sealed class Options(string? surface) : Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions
        {
            public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
            {
                value = key == "build_property.LeakExtCommandSurface" ? surface : null;
                return value is not null;
            }
        }
    }

    private static List<(string Type, string Name)> AttributedTypes(string assembly, string attribute, string argument)
    {
        using var pe = new PEReader(File.OpenRead(assembly));
        MetadataReader metadata = pe.GetMetadataReader();
        return [.. metadata.TypeDefinitions.Select(metadata.GetTypeDefinition)
            .SelectMany(t => NamedArguments(metadata, t.GetCustomAttributes(), attribute, argument).Select(v => (metadata.GetString(t.Name), v)))];
    }

    private static List<(string Method, string Name)> AttributedMethods(string assembly, string attribute, string argument)
    {
        using var pe = new PEReader(File.OpenRead(assembly));
        MetadataReader metadata = pe.GetMetadataReader();
        return [.. metadata.MethodDefinitions.Select(metadata.GetMethodDefinition)
            .SelectMany(m => NamedArguments(metadata, m.GetCustomAttributes(), attribute, argument).Select(v => (metadata.GetString(m.Name), v)))];
    }

    /// <summary>The string value of one named argument of each attribute of the given type.</summary>
    private static IEnumerable<string> NamedArguments(MetadataReader metadata, CustomAttributeHandleCollection attributes, string attributeType, string argument)
    {
        foreach (CustomAttributeHandle handle in attributes)
        {
            CustomAttribute attribute = metadata.GetCustomAttribute(handle);
            if (AttributeTypeName(metadata, attribute) != attributeType)
                continue;
            CustomAttributeValue<string> value = attribute.DecodeValue(new StringTypes());
            foreach (CustomAttributeNamedArgument<string> named in value.NamedArguments)
            {
                if (named.Name == argument && named.Value is string text)
                    yield return text;
            }
        }
    }

    private static string AttributeTypeName(MetadataReader metadata, CustomAttribute attribute)
    {
        EntityHandle type = attribute.Constructor.Kind == HandleKind.MemberReference
            ? metadata.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent
            : metadata.GetMethodDefinition((MethodDefinitionHandle)attribute.Constructor).GetDeclaringType();
        return type.Kind switch
        {
            HandleKind.TypeReference => Qualified(metadata, metadata.GetTypeReference((TypeReferenceHandle)type).Namespace, metadata.GetTypeReference((TypeReferenceHandle)type).Name),
            HandleKind.TypeDefinition => Qualified(metadata, metadata.GetTypeDefinition((TypeDefinitionHandle)type).Namespace, metadata.GetTypeDefinition((TypeDefinitionHandle)type).Name),
            _ => "",
        };
    }

    private static string Qualified(MetadataReader metadata, StringHandle space, StringHandle name) => metadata.GetString(space) + "." + metadata.GetString(name);

    /// <summary>Decodes attribute arguments with types as names: enough for string arguments, which is all these attributes use.</summary>
    private sealed class StringTypes : ICustomAttributeTypeProvider<string>
    {
        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
        public string GetSystemType() => "System.Type";
        public string GetSZArrayType(string elementType) => elementType + "[]";
        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => reader.GetString(reader.GetTypeDefinition(handle).Name);
        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => reader.GetString(reader.GetTypeReference(handle).Name);
        public string GetTypeFromSerializedName(string name) => name;
        public PrimitiveTypeCode GetUnderlyingEnumType(string type) => PrimitiveTypeCode.Int32;
        public bool IsSystemType(string type) => type == "System.Type";
    }
}

/// <summary>A test that reads the WinDbg extension's IL assembly, which the solution build produces (./build.sh test builds it).</summary>
public sealed class WinDbgAssemblyFactAttribute() : FactUnlessAttribute(File.Exists(Path) ? null : $"{Path} was not built (./build.sh build builds the solution, which includes it)")
{
    public static string Path => System.IO.Path.Combine(Repository.Root, "src", "LeakExt.WinDbg", "bin", Repository.Configuration, "net9.0", "leakext.dll");
}
