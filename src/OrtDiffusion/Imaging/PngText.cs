namespace OrtDiffusion.Imaging;

/// <summary>
/// A PNG text entry (a <c>tEXt</c>, <c>zTXt</c> or <c>iTXt</c> chunk): a keyword such as
/// <c>parameters</c> or <c>Software</c> and its text.
/// </summary>
/// <param name="Keyword">1 to 79 Latin-1 characters (PNG's rule for keywords).</param>
/// <param name="Text">Any text; written as Latin-1 <c>tEXt</c> when it fits, else as UTF-8 <c>iTXt</c>.</param>
public sealed record PngText(string Keyword, string Text);
