namespace OrtDiffusion.Imaging;

/// <summary>A decoded PNG file: its pixels and its text chunks.</summary>
/// <param name="Image">The pixels. Palette images come back as RGB, or RGBA when they carry transparency.</param>
/// <param name="Text">The <c>tEXt</c>, <c>zTXt</c> and <c>iTXt</c> entries in file order.</param>
public sealed record PngImage(PixelImage Image, IReadOnlyList<PngText> Text)
{
    /// <summary>The text of the first entry with this keyword, or null.</summary>
    /// <param name="keyword">The keyword, compared exactly.</param>
    public string? GetText(string keyword) => Text.FirstOrDefault(t => t.Keyword == keyword)?.Text;

    /// <summary>
    /// The generation parameters stored in the <c>parameters</c> entry (AUTOMATIC1111's format),
    /// or null when the file has none.
    /// </summary>
    public GenerationParameters? Parameters =>
        GetText(GenerationParameters.PngKeyword) is { } text ? GenerationParameters.Parse(text) : null;
}
