using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace LeakExt.Generators;

/// <summary>
/// Writes what each host needs to know about the commands, from the classes marked
/// [DeclaredCommand] in LeakExt.Commands, so that a new command is one file and no host's list
/// can drift from the others:
///   table          CommandTable.All, in the declared positions (LeakExt.Commands itself);
///   windbg         an [UnmanagedCallersOnly] export per command, named as the user types it
///                  after '!' (NativeAOT needs each entry point spelled out in source);
///   debugservices  a [Command] class per command for dotnet-dump and SOS hosts (the host finds
///                  commands by attribute and does not inherit it).
/// The surface comes from the project's LeakExtCommandSurface property. Commands are read from
/// whichever assembly declares the attribute: the compilation itself for "table", the referenced
/// LeakExt.Commands for the hosts.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class CommandSurfaceGenerator : IIncrementalGenerator
{
    private const string AttributeName = "LeakExt.Commands.Framework.DeclaredCommandAttribute";
    private const string DefinitionName = "LeakExt.Commands.Framework.CommandDefinition";

    private static readonly DiagnosticDescriptor MissingConstant = new(
        "LEAKEXT001", "Command lacks a constant",
        "Command class '{0}' must declare 'public const string {1}'; hosts put it in attributes and export names",
        "LeakExt.Commands", DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor DuplicateName = new(
        "LEAKEXT002", "Two commands share a name or position",
        "Commands '{0}' and '{1}' both declare {2}",
        "LeakExt.Commands", DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor NotACommand = new(
        "LEAKEXT003", "Declared command is not a command",
        "'{0}' is marked [DeclaredCommand] but is abstract or does not derive from CommandDefinition",
        "LeakExt.Commands", DiagnosticSeverity.Error, isEnabledByDefault: true);

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValueProvider<string> surface = context.AnalyzerConfigOptionsProvider.Select(
            static (options, _) => options.GlobalOptions.TryGetValue("build_property.LeakExtCommandSurface", out string? value) ? value.Trim() : "");

        IncrementalValueProvider<CommandCatalog> catalog = context.CompilationProvider.Select(static (compilation, token) => CommandCatalog.Read(compilation, token));

        context.RegisterSourceOutput(surface.Combine(catalog), static (output, pair) =>
        {
            (string kind, CommandCatalog commands) = pair;
            foreach (Diagnostic problem in commands.Problems)
                output.ReportDiagnostic(problem);
            if (commands.Problems.Length > 0)
                return;
            string? source = kind switch
            {
                "table" => SurfaceWriter.Table(commands.Commands),
                "windbg" => SurfaceWriter.WinDbgExports(commands.Commands),
                "debugservices" => SurfaceWriter.DebugServicesCommands(commands.Commands),
                _ => null,
            };
            if (source is not null)
                output.AddSource($"LeakExtCommands.{kind}.g.cs", SourceText.From(source, Encoding.UTF8));
        });
    }

    /// <summary>The declared commands in position order, or why they cannot be listed.</summary>
    private sealed class CommandCatalog(ImmutableArray<DeclaredCommand> commands, ImmutableArray<Diagnostic> problems) : IEquatable<CommandCatalog>
    {
        public ImmutableArray<DeclaredCommand> Commands { get; } = commands;
        public ImmutableArray<Diagnostic> Problems { get; } = problems;

        public static CommandCatalog Read(Compilation compilation, CancellationToken token)
        {
            INamedTypeSymbol? attribute = compilation.GetTypeByMetadataName(AttributeName);
            INamedTypeSymbol? definition = compilation.GetTypeByMetadataName(DefinitionName);
            if (attribute is null || definition is null)
                return new CommandCatalog([], []);

            var found = new List<DeclaredCommand>();
            var problems = new List<Diagnostic>();
            var pending = new Stack<INamespaceOrTypeSymbol>();
            pending.Push(attribute.ContainingAssembly.GlobalNamespace);
            while (pending.Count > 0)
            {
                token.ThrowIfCancellationRequested();
                INamespaceOrTypeSymbol scope = pending.Pop();
                foreach (INamespaceOrTypeSymbol member in scope.GetMembers().OfType<INamespaceOrTypeSymbol>())
                    pending.Push(member);
                if (scope is not INamedTypeSymbol type)
                    continue;
                AttributeData? mark = type.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute));
                if (mark is null)
                    continue;
                if (DeclaredCommand.From(type, mark, definition, problems) is { } command)
                    found.Add(command);
            }

            found.Sort((a, b) => a.Position.CompareTo(b.Position));
            for (int i = 1; i < found.Count; i++)
            {
                if (found[i].Position == found[i - 1].Position)
                    problems.Add(Diagnostic.Create(DuplicateName, Location.None, found[i - 1].ClassName, found[i].ClassName, $"position {found[i].Position}"));
            }
            foreach (IGrouping<string, DeclaredCommand> clash in found.GroupBy(c => c.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
                problems.Add(Diagnostic.Create(DuplicateName, Location.None, clash.First().ClassName, clash.Skip(1).First().ClassName, $"the name '{clash.Key}'"));
            return new CommandCatalog([.. found], [.. problems]);
        }

        public bool Equals(CommandCatalog? other) =>
            other is not null && Commands.SequenceEqual(other.Commands) && Problems.Select(p => p.ToString()).SequenceEqual(other.Problems.Select(p => p.ToString()));

        public override bool Equals(object? obj) => Equals(obj as CommandCatalog);

        public override int GetHashCode() => Commands.Length;
    }

    private static bool DerivesFrom(INamedTypeSymbol type, INamedTypeSymbol baseType)
    {
        for (INamedTypeSymbol? current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, baseType))
                return true;
        }
        return false;
    }

    /// <summary>One command as the hosts see it: the class, its name and summary constants, and how a host that already owns the name shows it.</summary>
    internal sealed record DeclaredCommand(string ClassName, string ShortName, string Name, int Position, string? HostedName, string? HostedSummary)
    {
        public static DeclaredCommand? From(INamedTypeSymbol type, AttributeData mark, INamedTypeSymbol definition, List<Diagnostic> problems)
        {
            Location location = type.Locations.FirstOrDefault() ?? Location.None;
            if (type.IsAbstract || !DerivesFrom(type, definition))
            {
                problems.Add(Diagnostic.Create(NotACommand, location, type.ToDisplayString()));
                return null;
            }

            string? name = null;
            bool hasSummary = false;
            foreach (IFieldSymbol field in type.GetMembers().OfType<IFieldSymbol>())
            {
                if (field is { IsConst: true, DeclaredAccessibility: Accessibility.Public, ConstantValue: string value })
                {
                    if (field.Name == "CommandName")
                        name = value;
                    else if (field.Name == "SummaryText")
                        hasSummary = true;
                }
            }
            if (name is null || !hasSummary)
            {
                problems.Add(Diagnostic.Create(MissingConstant, location, type.ToDisplayString(), name is null ? "CommandName" : "SummaryText"));
                return null;
            }

            int position = mark.ConstructorArguments.Length > 0 && mark.ConstructorArguments[0].Value is int p ? p : 0;
            string? hostedName = null, hostedSummary = null;
            foreach (KeyValuePair<string, TypedConstant> named in mark.NamedArguments)
            {
                if (named.Key == "HostedName")
                    hostedName = named.Value.Value as string;
                else if (named.Key == "HostedSummary")
                    hostedSummary = named.Value.Value as string;
            }

            string shortName = type.Name.EndsWith("Command", StringComparison.Ordinal) ? type.Name.Substring(0, type.Name.Length - "Command".Length) : type.Name;
            return new DeclaredCommand("global::" + type.ToDisplayString(), shortName, name, position, hostedName, hostedSummary);
        }
    }
}
