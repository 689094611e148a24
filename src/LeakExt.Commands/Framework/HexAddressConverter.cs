using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LeakExt.Commands.Framework;

/// <summary>Addresses (the only unsigned 64-bit numbers in our JSON) as "0x…" strings: beyond JavaScript's safe integers otherwise.</summary>
public sealed class HexAddressConverter : JsonConverter<ulong>
{
    public override ulong Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        string text = reader.GetString() ?? "";
        return ulong.Parse(text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
    }

    public override void Write(Utf8JsonWriter writer, ulong value, JsonSerializerOptions options) => writer.WriteStringValue(Address.Format(value));
}
