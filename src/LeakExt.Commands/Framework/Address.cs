using System.Globalization;
using LeakExt.Core;

namespace LeakExt.Commands.Framework;

/// <summary>Object addresses as users type and read them: hex, with or without 0x.</summary>
public static class Address
{
    public static string Format(ulong address) => "0x" + address.ToString("x", CultureInfo.InvariantCulture);

    public static ulong Parse(string command, string text)
    {
        string digits = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        digits = digits.Replace("`", "", StringComparison.Ordinal);
        if (digits.Length == 0 || digits.Length > 16 || !ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong address))
            throw new LeakExtException($"{command}: '{text}' is not an address; give it in hex, e.g. 0x7f3a5c001020.");
        return address;
    }
}
