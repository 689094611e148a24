using System.Buffers.Binary;
using System.IO.Compression;

namespace LeakExt.Tests.Infrastructure;

/// <summary>Just enough of a PNG reader to count colours in a screenshot: 8-bit RGB or RGBA, not interlaced.</summary>
internal sealed class Png
{
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required int Channels { get; init; }
    public required byte[] Pixels { get; init; }

    public static Png Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        int at = 8, width = 0, height = 0, colorType = 0;
        using var idat = new MemoryStream();
        while (at + 8 <= file.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            string type = System.Text.Encoding.ASCII.GetString(file, at + 4, 4);
            ReadOnlySpan<byte> data = file.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                if (data[8] != 8 || data[12] != 0 || (data[9] != 2 && data[9] != 6))
                    throw new NotSupportedException("only 8-bit, non-interlaced RGB/RGBA PNGs");
                colorType = data[9];
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }
            at += 12 + length;
        }

        int channels = colorType == 6 ? 4 : 3;
        int stride = width * channels;
        byte[] raw;
        idat.Position = 0;
        using (var inflate = new ZLibStream(idat, CompressionMode.Decompress))
        using (var output = new MemoryStream())
        {
            inflate.CopyTo(output);
            raw = output.ToArray();
        }

        var pixels = new byte[stride * height];
        for (int y = 0; y < height; y++)
        {
            byte filter = raw[y * (stride + 1)];
            for (int x = 0; x < stride; x++)
            {
                int value = raw[y * (stride + 1) + 1 + x];
                int a = x >= channels ? pixels[y * stride + x - channels] : 0;
                int b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
                int c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
                value += filter switch
                {
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => 0,
                };
                pixels[y * stride + x] = (byte)value;
            }
        }
        return new Png { Width = width, Height = height, Channels = channels, Pixels = pixels };
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>Pixels within <paramref name="tolerance"/> of the colour on every channel.</summary>
    public int Count(byte r, byte g, byte b, int tolerance)
    {
        int count = 0;
        for (int i = 0; i + 2 < Pixels.Length; i += Channels)
            if (Math.Abs(Pixels[i] - r) <= tolerance && Math.Abs(Pixels[i + 1] - g) <= tolerance && Math.Abs(Pixels[i + 2] - b) <= tolerance)
                count++;
        return count;
    }
}
