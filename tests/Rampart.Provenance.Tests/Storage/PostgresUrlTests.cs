using Npgsql;
using Rampart.Provenance.Storage;

namespace Rampart.Provenance.Tests.Storage;

public sealed class PostgresUrlTests
{
    [Fact]
    public void Url_BecomesNpgsqlText_WithEscapesUndone()
    {
        var text = PostgresUrl.ToConnectionString("postgres://ci%40team:p%3Ass@db.internal:6543/led%20ger?SSL%20Mode=Require&Pooling");
        var parsed = new NpgsqlConnectionStringBuilder(text);
        parsed.Host.Should().Be("db.internal");
        parsed.Port.Should().Be(6543);
        parsed.Database.Should().Be("led ger");
        parsed.Username.Should().Be("ci@team");
        parsed.Password.Should().Be("p:ss");
        parsed.SslMode.Should().Be(SslMode.Require);
        parsed.Pooling.Should().BeTrue();
    }

    [Fact]
    public void DefaultPort_AndKeyValueText_PassThrough()
    {
        new NpgsqlConnectionStringBuilder(PostgresUrl.ToConnectionString("postgresql://h/d")).Port.Should().Be(5432);
        PostgresUrl.ToConnectionString("Host=h;Database=d").Should().Be("Host=h;Database=d");
    }

    [Theory]
    [InlineData("postgres://h/d", true)]
    [InlineData("POSTGRESQL://h/d", true)]
    [InlineData("Host=h;Database=d", true)]
    [InlineData("ledger.db", false)]
    [InlineData("/var/lib/Host=x", false)]
    public void IsPostgres_TellsDatabasesFromFiles(string location, bool expected) => PostgresUrl.IsPostgres(location).Should().Be(expected);

    [Theory]
    [InlineData("postgres://h:notaport/d")]
    [InlineData("postgres://h/d?NoSuchKeyword=1")]
    public void BadUrl_IsAProvenanceError(string location)
    {
        var parse = () => PostgresUrl.ToConnectionString(location);
        parse.Should().Throw<ProvenanceException>();
    }
}
