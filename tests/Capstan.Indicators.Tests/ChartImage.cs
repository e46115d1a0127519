using SkiaSharp;

namespace Capstan.Indicators.Tests;

/// <summary>Checks a PNG is a real picture: its size, and that it is not blank (many distinct colours, dark text pixels).</summary>
public static class ChartImage
{
    public static void AssertLooksLikeAChart(byte[] png, int width, int height)
    {
        Assert.True(png.Length > 8 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "not a PNG");
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal(width, bitmap.Width);
        Assert.Equal(height, bitmap.Height);
        var colours = new HashSet<uint>();
        var dark = 0;
        for (var y = 0; y < bitmap.Height; y += 2)
            for (var x = 0; x < bitmap.Width; x += 2)
            {
                var c = bitmap.GetPixel(x, y);
                colours.Add((uint)c);
                if (c.Red + c.Green + c.Blue < 200) dark++;
            }
        Assert.True(colours.Count > 20, $"only {colours.Count} colours: the chart looks blank");
        Assert.True(dark > 500, $"only {dark} dark pixels: no text or axes drawn");
    }
}
