using OrtDiffusion.Evaluation;

namespace OrtDiffusion.Tests.Evaluation;

public sealed class PromptFileTests
{
    [Fact]
    public void Text_files_give_one_prompt_per_line_without_blank_lines()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("p.txt"), "\uFEFFa photo of a cat\r\n\n  a dog, running  \n\"quoted\" stays as is\n");
        Assert.Equal(["a photo of a cat", "a dog, running", "\"quoted\" stays as is"], PromptFile.Read(dir.File("p.txt")));
    }

    [Fact]
    public void Csv_files_read_the_caption_column_with_rfc4180_quoting()
    {
        // Fields with commas, doubled quotes and a line break inside quotes; CRLF records; other columns ignored.
        const string csv = "image_id,Caption,extra\r\n" +
                           "1,\"A man, a plan\",x\r\n" +
                           "2,\"She said \"\"hi\"\"\",y\r\n" +
                           "3,\"two\nlines\",\"z,z\"\r\n" +
                           "\r\n" +
                           "4,plain caption,\r\n" +
                           "5,,w\n" +
                           "6,\"\",last";
        Assert.Equal(["A man, a plan", "She said \"hi\"", "two\nlines", "plain caption"], PromptFile.ParseCsv(csv, "t.csv"));
    }

    [Fact]
    public void Csv_is_chosen_by_the_extension()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("coco.CSV"), "caption\n\"x, y\"\n");
        Assert.Equal(["x, y"], PromptFile.Read(dir.File("coco.CSV")));
    }

    [Theory]
    [InlineData("id,text\n1,a\n", "no 'caption' column")]
    [InlineData("caption\n\"never closed\n", "line 2 is never closed")]
    [InlineData("caption\nab\"c\n", "line 2: a quote inside an unquoted field")]
    [InlineData("caption\n\"a\"b\n", "after a closing quote")]
    [InlineData("id,caption\n1\n", "line 2: the record has 1 field(s)")]
    [InlineData("", "empty")]
    public void Malformed_csv_is_reported_with_the_line(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => PromptFile.ParseCsv(text, "bad.csv"));
        Assert.Contains(message, e.Message);
        Assert.Contains("bad.csv", e.Message);
    }

    [Fact]
    public void Empty_and_missing_files_are_errors()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("empty.txt"), "\n \n");
        Assert.Contains("holds no prompt", Assert.Throws<FormatException>(() => PromptFile.Read(dir.File("empty.txt"))).Message);
        Assert.Throws<FileNotFoundException>(() => PromptFile.Read(dir.File("missing.txt")));
    }

    [Fact]
    public void The_fingerprint_tells_prompt_lists_apart()
    {
        Assert.Equal(PromptFile.Fingerprint(["a", "b"]), PromptFile.Fingerprint(["a", "b"]));
        Assert.NotEqual(PromptFile.Fingerprint(["a", "b"]), PromptFile.Fingerprint(["ab"]));
        Assert.NotEqual(PromptFile.Fingerprint(["a", "b"]), PromptFile.Fingerprint(["b", "a"]));
    }
}
