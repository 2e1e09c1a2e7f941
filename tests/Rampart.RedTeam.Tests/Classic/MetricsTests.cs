using Rampart.RedTeam.Classic;
using Rampart.RedTeam.Reports;
using Rampart.TestKit;

namespace Rampart.RedTeam.Tests.Classic;

public sealed class MetricsTests
{
    [Fact]
    public void Auc_PerfectSeparation_IsOne_Reversed_IsZero_Ties_AreHalf()
    {
        bool[] positive = [true, true, false, false];
        Metrics.Auc([0.9, 0.8, 0.2, 0.1], positive).Should().Be(1);
        Metrics.Auc([0.1, 0.2, 0.8, 0.9], positive).Should().Be(0);
        Metrics.Auc([0.5, 0.5, 0.5, 0.5], positive).Should().Be(0.5);
        Metrics.Auc([0.9, 0.3, 0.5, 0.1], positive).Should().Be(0.75);
    }

    [Fact]
    public void Roc_AndTprAtFpr_FollowTheThresholds()
    {
        var roc = Metrics.Roc([0.9, 0.8, 0.7, 0.6, 0.1], [true, false, true, false, true]);
        roc[0].Should().Be(new CurvePoint(0, 0));
        roc[1].Should().Be(new CurvePoint(0, 1 / 3.0));
        roc[^1].Should().Be(new CurvePoint(1, 1));
        Metrics.TprAtFpr(roc, 0.01).Should().BeApproximately(1 / 3.0, 1e-9);
        Metrics.TprAtFpr(roc, 0.5).Should().BeApproximately(2 / 3.0, 1e-9);
    }

    [Theory]
    [InlineData("a,b,label\n1,2,0\n", "rows")]
    [InlineData("a,b\n1,x\n1,2\n1,2\n1,2\n1,2\n1,2\n1,2\n1,2\n1,2\n1,2\n", "not a number")]
    [InlineData("a,b\n1,2,3\n", "3 cells")]
    [InlineData("", "empty")]
    [InlineData("a,label\n1,0.5\n1,0\n1,0\n1,0\n1,0\n1,0\n1,0\n1,0\n1,0\n1,0\n", "class index")]
    public void SampleData_BadFiles_SayWhatIsWrong(string text, string expected)
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "s.csv");
        File.WriteAllText(path, text);
        var act = () => SampleData.Read(path);
        act.Should().Throw<InvalidDataException>().WithMessage($"*{expected}*");
    }
}
