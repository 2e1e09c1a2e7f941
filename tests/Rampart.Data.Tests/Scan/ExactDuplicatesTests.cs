using Rampart.Data.Scan;

namespace Rampart.Data.Tests.Scan;

/// <summary>The exact-duplicate table: groups, the rows and labels they keep, and the tracking limit.</summary>
public sealed class ExactDuplicatesTests
{
    private const int Label = 2;

    [Fact]
    public void DistinctRows_MakeNoGroup()
    {
        var table = new ExactDuplicates(100, Label);
        for (var i = 0; i < 50; i++)
        {
            table.Add([$"a{i}", "x", "0"], i + 1, i + 2);
        }

        table.Groups().Should().BeEmpty();
        table.DuplicateRows.Should().Be(0);
        table.Saturated.Should().BeFalse();
    }

    [Fact]
    public void Copies_AreGroupedWithTheFirstRow_LargestGroupFirst()
    {
        var table = new ExactDuplicates(100, Label);
        table.Add(["a", "b", "0"], 1, 2);
        table.Add(["c", "d", "0"], 2, 3);
        table.Add(["c", "d", "0"], 3, 4);
        table.Add(["a", "b", "0"], 4, 5);
        table.Add(["a", "b", "0"], 5, 7);

        var groups = table.Groups();
        groups.Should().HaveCount(2);
        groups[0].Rows.Should().Equal(1, 4, 5);
        groups[0].Lines.Should().Equal(2, 5, 7);
        groups[0].Count.Should().Be(3);
        groups[1].Rows.Should().Equal(2, 3);
        table.DuplicateRows.Should().Be(3);
    }

    [Fact]
    public void TheLabelIsNotPartOfTheInputs_AndConflictingLabelsAreKept()
    {
        var table = new ExactDuplicates(100, Label);
        table.Add(["a", "b", "cat"], 1, 2);
        table.Add(["a", "b", "dog"], 2, 3);
        table.Add(["a", "b", "cat"], 3, 4);

        var group = table.Groups().Should().ContainSingle().Subject;
        group.Labels.Should().Equal("cat", "dog");
    }

    [Fact]
    public void ValuesAreSeparated_SoShiftedCellsAreNotCopies()
    {
        var table = new ExactDuplicates(100, -1);
        table.Add(["ab", "c"], 1, 2);
        table.Add(["a", "bc"], 2, 3);
        table.Add(["abc", null], 3, 4);

        table.Groups().Should().BeEmpty();
    }

    [Fact]
    public void ALargeGroup_KeepsItsCountButOnlyTheFirstRows()
    {
        var table = new ExactDuplicates(100, Label);
        for (var i = 0; i < 1000; i++)
        {
            table.Add(["same", "row", (i % 20).ToString(System.Globalization.CultureInfo.InvariantCulture)], i + 1, i + 2);
        }

        var group = table.Groups().Should().ContainSingle().Subject;
        group.Count.Should().Be(1000);
        group.Rows.Should().HaveCount(24).And.StartWith(1L);
        group.Labels.Should().HaveCount(8, "only the first distinct labels of a group are kept");
    }

    [Fact]
    public void PastTheLimit_NewRowsAreNotTracked_ButCopiesOfTrackedRowsStillAre()
    {
        var table = new ExactDuplicates(2, Label);
        table.Add(["a", "1", "0"], 1, 2);
        table.Add(["b", "1", "0"], 2, 3);
        table.Add(["c", "1", "0"], 3, 4);
        table.Add(["c", "1", "0"], 4, 5);
        table.Add(["a", "1", "0"], 5, 6);

        table.Saturated.Should().BeTrue();
        var group = table.Groups().Should().ContainSingle().Subject;
        group.Rows.Should().Equal(1, 5);
    }
}
