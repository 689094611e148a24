using System.Buffers.Binary;
using LeakExt.Core.Targets;
using LeakExt.Tests.Cli;
using LeakExt.Tests.Infrastructure;
using Microsoft.Diagnostics.Runtime;

namespace LeakExt.Tests.Hostile;

/// <summary>
/// A real dump whose ELF headers the test damages, field by field, as a corrupt copy or an attacker
/// would: each is refused before any heap is read, in one line that says what is wrong with the file,
/// exit code 1, no stack trace, in bounded time. Offsets are those of the ELF64 file header
/// (e_ident 0, e_type 16, e_phoff 32, e_phentsize 54, e_phnum 56) and of a program header
/// (p_offset 8, p_filesz 32).
/// </summary>
[Collection("dumps")]
public sealed class DamagedElfHeaderTests(DumpFixture fixture)
{
    public static TheoryData<string, long, ulong, int, string> Damages => new()
    {
        { "magic zeroed", 0, 0, 4, "is not a dump" },
        { "EI_CLASS 32-bit", 4, 1, 1, "is a 32-bit ELF file" },
        { "EI_DATA big-endian", 5, 2, 1, "is a big-endian ELF file" },
        { "e_type executable", 16, 2, 2, "is an ELF file but not a core dump (e_type 2)" },
        { "e_phentsize 8", 54, 8, 2, "is a corrupt ELF core: program header size 8" },
        { "e_phoff near the top of the address space", 32, 0xFFFF_FFFF_FFFF_F000, 8, "is truncated" },
        { "e_phnum 0", 56, 0, 2, "no .NET runtime found" },
        // Relative to the program header of the PT_LOAD that holds the GC heap (a negative offset says so).
        { "heap PT_LOAD p_filesz 1 TiB", -32, 1UL << 40, 8, "is truncated" },
        { "heap PT_LOAD p_offset near the top", -8, 0xFFFF_FFFF_FFFF_F000, 8, "is truncated" },
    };

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_header_is_refused_in_one_line(string damage, long offset, ulong value, int width, string expected)
    {
        string source = fixture.Dumps("Crawler")[0];
        using var dump = new DamagedDump(source, fixture.TempFile($"elf-{damage.Replace(' ', '-')}.dmp"));
        long at = offset >= 0 ? offset : dump.ProgramHeaderOf(HeapAddress(source)) - offset;
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        dump.WriteFile(at, bytes.AsSpan(0, width));

        CliResult result = DamagedDumpTests.Within(() => CliRunner.Run("analyze", dump.Path, "-c", "snapshot"), damage);
        Assert.True(result.ExitCode == 1, $"{damage}: exit code {result.ExitCode}: {result.Errors}");
        DamagedDumpTests.AssertOneLine(result.Errors, damage);
        Assert.StartsWith("error: ", result.Errors);
        Assert.Contains(expected, result.Errors);
    }

    /// <summary>The start of the clean dump's first GC segment with objects.</summary>
    private static ulong HeapAddress(string dump)
    {
        using var session = new TargetSession(LeakTarget.OpenDump(dump));
        return session.Target.Runtime.Heap.Segments.First(s => s.Kind != GCSegmentKind.Frozen && s.ObjectRange.Length > 0).Start;
    }
}
