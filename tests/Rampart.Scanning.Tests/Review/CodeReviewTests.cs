using Rampart.Scanning.Review;

namespace Rampart.Scanning.Tests.Review;

public sealed class CodeReviewTests
{
    [Fact]
    public void ParseUnifiedDiff_ZeroContextHunks_AddedRanges()
    {
        const string diff = """
            diff --git a/src/train.py b/src/train.py
            index 1111111..2222222 100644
            --- a/src/train.py
            +++ b/src/train.py
            @@ -3,0 +4,2 @@ def f():
            +    a = 1
            +    b = 2
            @@ -10 +12 @@
            -x
            +y
            @@ -20,3 +22,0 @@
            -gone
            diff --git a/new.ipynb b/new.ipynb
            new file mode 100644
            --- /dev/null
            +++ b/new.ipynb
            @@ -0,0 +1,5 @@
            +{
            """;
        var files = CodeReview.ParseUnifiedDiff(diff).ToList();
        files.Select(f => f.Path).Should().Equal("src/train.py", "new.ipynb");
        files[0].Added.Should().Equal((4, 2), (12, 1));
        files[0].AddsLine(5).Should().BeTrue();
        files[0].AddsLine(6).Should().BeFalse();
        files[0].AddsLine(22).Should().BeFalse();
        files[1].IsNew.Should().BeTrue();
        files[1].AddsLine(5).Should().BeTrue();
    }

    [Fact]
    public void ParseUnifiedDiff_DeletedFile_Ignored()
    {
        const string diff = "diff --git a/old.py b/old.py\ndeleted file mode 100644\n--- a/old.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n";
        CodeReview.ParseUnifiedDiff(diff).Should().BeEmpty();
    }

    [Theory]
    [InlineData("train.py", true)]
    [InlineData("nb/eda.ipynb", true)]
    [InlineData("README.md", false)]
    public void IsReviewable_ByExtension(string path, bool expected) => CodeReview.IsReviewable(path).Should().Be(expected);
}
