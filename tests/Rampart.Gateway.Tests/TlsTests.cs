using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Rampart.Gateway.Config;

namespace Rampart.Gateway.Tests;

/// <summary>
/// TLS termination and mTLS over real TLS on loopback, with a CA, server and client certificates made here
/// (CertificateRequest): the handshake refuses clients without a certificate, with one from another CA, or an expired
/// one; a valid certificate is mapped to its configured principal, authorised by its roles and named in the audit log.
/// </summary>
public sealed class TlsTests : IDisposable
{
    private const string Chat = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";

    private readonly Pki _pki = new();

    private static string Config(string clientCertificates = "require", string auth = "certificates: [ { subject: \"CN=svc-a, O=Rampart Test\", principal: svc-a, roles: [analyst] }, { san: \"spiffe://test/svc-b\", principal: svc-b, roles: [analyst] } ]") => $$$"""
        listen: https://127.0.0.1:0
        tls: { certificate: server.pem, key: server.key, clientCertificates: {{{clientCertificates}}}, clientCa: ca.pem }
        auth: { {{{auth}}} }
        audit: { directory: audit, bodies: none }
        clusters: { up: { destinations: ["{{upstream}}"] } }
        routes:
          - name: chat
            path: /v1/chat/completions
            protocol: openai-chat
            cluster: up
            allow: [ { role: analyst, operations: [chat] } ]
        """;

    [Fact]
    public async Task ValidClientCertificate_IsTheMappedPrincipal_AndTheAuditNamesIt()
    {
        await using var rig = await GatewayRig.StartAsync(Config(), prepare: _pki.WriteServerFiles);
        using var client = _pki.Client(_pki.ClientA);
        using var response = await Post(client, rig);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        rig.Gateways[0].Address.Scheme.Should().Be("https");

        using var bySan = _pki.Client(_pki.ClientB);
        (await Post(bySan, rig)).StatusCode.Should().Be(HttpStatusCode.OK, "svc-b is mapped by its subjectAltName URI");
        rig.Audit().Select(e => e.Principal).Should().Equal("svc-a", "svc-b");
        rig.Audit().Should().OnlyContain(e => e.Decision == "allow");
    }

    [Fact]
    public async Task Handshake_RefusesNoCertificate_AnotherCa_AndExpired()
    {
        await using var rig = await GatewayRig.StartAsync(Config(), prepare: _pki.WriteServerFiles);
        foreach (var (certificate, what) in new[] { ((X509Certificate2?)null, "no certificate"), (_pki.Foreign, "a certificate from another CA"), (_pki.Expired, "an expired certificate") })
        {
            using var client = _pki.Client(certificate);
            var attempt = async () => await Post(client, rig);
            await attempt.Should().ThrowAsync<HttpRequestException>($"the handshake refuses {what}");
        }

        using var good = _pki.Client(_pki.ClientA);
        (await Post(good, rig)).StatusCode.Should().Be(HttpStatusCode.OK, "the gateway stays healthy after refused handshakes");
        rig.Audit().Should().ContainSingle("refused handshakes never reach the request pipeline");
    }

    [Fact]
    public async Task PlainHttp_OnTheTlsPort_IsRefused()
    {
        await using var rig = await GatewayRig.StartAsync(Config(), prepare: _pki.WriteServerFiles);
        var plain = new UriBuilder(rig.Gateways[0].Address) { Scheme = "http" }.Uri;
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var attempt = async () => await client.PostAsync(new Uri(plain, "/v1/chat/completions"), new StringContent(Chat, Encoding.UTF8, "application/json"));
        await attempt.Should().ThrowAsync<HttpRequestException>();
        rig.Audit().Should().BeEmpty();
    }

    [Fact]
    public async Task AllowMode_KeysStillWork_AndAnUnmappedCertificateIsUnauthenticated()
    {
        await using var rig = await GatewayRig.StartAsync(
            Config("allow", "apiKeys: keys.json, certificates: [ { subject: \"CN=svc-a, O=Rampart Test\", principal: svc-a, roles: [analyst] } ]"), prepare: _pki.WriteServerFiles);
        using (var noCertificate = _pki.Client(null))
        {
            (await Post(noCertificate, rig, rig.Keys["alice"])).StatusCode.Should().Be(HttpStatusCode.OK, "with allow, a client without a certificate may use an API key");
            (await Post(noCertificate, rig)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        using (var stranger = _pki.Client(_pki.Unmapped))
        {
            using var response = await Post(stranger, rig);
            response.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "a trusted certificate that maps to nobody proves nothing");
            (await response.Content.ReadAsStringAsync()).Should().Contain("CN=stranger").And.Contain("not mapped");
        }

        using var mapped = _pki.Client(_pki.ClientA);
        (await Post(mapped, rig)).StatusCode.Should().Be(HttpStatusCode.OK);
        rig.Audit().Select(e => (e.Principal, e.Decision)).Should().Equal(("alice", "allow"), ("", "unauthenticated"), ("", "unauthenticated"), ("svc-a", "allow"));
    }

    [Fact]
    public async Task RenewedServerCertificate_IsServedWithoutRestart()
    {
        await using var rig = await GatewayRig.StartAsync(Config(), prepare: _pki.WriteServerFiles);
        async Task<string?> Served()
        {
            string? seen = null;
            using var handler = _pki.Handler(_pki.ClientA, (_, certificate, _, _) =>
            {
                seen = certificate?.GetSerialNumberString();
                return certificate is X509Certificate2 presented && _pki.ChainsToCa(presented);
            });
            using var client = new HttpClient(handler);
            using var response = await client.PostAsync(new Uri(rig.Gateways[0].Address, "/v1/chat/completions"), new StringContent(Chat, Encoding.UTF8, "application/json"));
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            return seen;
        }

        (await Served()).Should().Be(_pki.Server.GetSerialNumberString());
        using var renewed = _pki.Issue("CN=localhost", server: true);
        _pki.WriteServerFiles(rig.Directory, renewed);
        File.SetLastWriteTimeUtc(Path.Combine(rig.Directory, "server.pem"), DateTime.UtcNow.AddSeconds(5));
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (await Served() != renewed.GetSerialNumberString() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(300);
        }

        (await Served()).Should().Be(renewed.GetSerialNumberString(), "new connections get the renewed certificate within the poll interval");
    }

    [Fact]
    public void Config_CertificateOnlyRoutesCountAsAuthenticated_AndTlsMistakesAreRefused()
    {
        GatewayConfigParser.Parse(Config().Replace("{{upstream}}", "http://127.0.0.1:1/", StringComparison.Ordinal), "g.yaml", ".").Auth.Configured.Should().BeTrue();
        var bad = new Dictionary<string, string>
        {
            ["listen is http"] = Config().Replace("listen: https://127.0.0.1:0", "listen: http://127.0.0.1:0", StringComparison.Ordinal),
            ["no clientCa"] = Config().Replace(", clientCa: ca.pem", "", StringComparison.Ordinal),
            ["certificates without client certificates"] = Config("none").Replace(", clientCa: ca.pem", "", StringComparison.Ordinal),
            ["unknown mode"] = Config("sometimes"),
        };
        foreach (var (what, text) in bad)
        {
            var parse = () => GatewayConfigParser.Parse(text.Replace("{{upstream}}", "http://127.0.0.1:1/", StringComparison.Ordinal), "g.yaml", ".");
            parse.Should().Throw<InvalidDataException>(what);
        }
    }

    [Fact]
    public async Task MissingCertificateFile_FailsTheStart_WithItsName()
    {
        var start = async () => await GatewayRig.StartAsync(Config(), prepare: d => File.WriteAllText(Path.Combine(d, "ca.pem"), _pki.CaPem));
        (await start.Should().ThrowAsync<InvalidDataException>()).Which.Message.Should().Contain("server.pem");
    }

    public void Dispose() => _pki.Dispose();

    private static async Task<HttpResponseMessage> Post(HttpClient client, GatewayRig rig, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(rig.Gateways[0].Address, "/v1/chat/completions")) { Content = new StringContent(Chat, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return await client.SendAsync(request);
    }

    /// <summary>A test CA, the server's certificate, client certificates (two mapped, one unmapped, one expired) and a foreign CA's client.</summary>
    private sealed class Pki : IDisposable
    {
        private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        private readonly X509Certificate2 _ca;
        private readonly X509Certificate2 _foreignCa;
        private readonly ECDsa _foreignKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        public Pki()
        {
            _ca = SelfSignedCa("CN=Rampart Test CA", _caKey);
            _foreignCa = SelfSignedCa("CN=Someone Else's CA", _foreignKey);
            Server = Issue("CN=localhost", server: true);
            ClientA = Issue("CN=svc-a, O=Rampart Test");
            ClientB = Issue("CN=svc-b", san: new Uri("spiffe://test/svc-b"));
            Unmapped = Issue("CN=stranger");
            Expired = Issue("CN=svc-a, O=Rampart Test", notAfter: DateTimeOffset.UtcNow.AddDays(-1));
            Foreign = Issue("CN=svc-a, O=Rampart Test", issuer: _foreignCa, issuerKey: _foreignKey);
        }

        public X509Certificate2 Server { get; }

        public X509Certificate2 ClientA { get; }

        public X509Certificate2 ClientB { get; }

        public X509Certificate2 Unmapped { get; }

        public X509Certificate2 Expired { get; }

        public X509Certificate2 Foreign { get; }

        public string CaPem => _ca.ExportCertificatePem();

        public void WriteServerFiles(string directory) => WriteServerFiles(directory, Server);

        public void WriteServerFiles(string directory, X509Certificate2 server)
        {
            File.WriteAllText(Path.Combine(directory, "ca.pem"), CaPem);
            File.WriteAllText(Path.Combine(directory, "server.key"), server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(Path.Combine(directory, "server.pem"), server.ExportCertificatePem());
        }

        public X509Certificate2 Issue(string subject, bool server = false, Uri? san = null, DateTimeOffset? notAfter = null, X509Certificate2? issuer = null, ECDsa? issuerKey = null)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
            var names = new SubjectAlternativeNameBuilder();
            if (server)
            {
                names.AddDnsName("localhost");
                names.AddIpAddress(IPAddress.Loopback);
            }

            if (san is not null)
            {
                names.AddUri(san);
            }

            request.CertificateExtensions.Add(names.Build());
            var until = notAfter ?? DateTimeOffset.UtcNow.AddDays(1);
            var serial = RandomNumberGenerator.GetBytes(12);
            serial[0] &= 0x7f;
            using var issued = request.Create(issuer ?? _ca, until.AddDays(-2), until, serial);
            return issued.CopyWithPrivateKey(key);
        }

        public SocketsHttpHandler Handler(X509Certificate2? certificate, System.Net.Security.RemoteCertificateValidationCallback? validate = null) => new()
        {
            SslOptions =
            {
                ClientCertificates = certificate is null ? null : new X509CertificateCollection { certificate },
                // The test trusts the gateway's certificate by checking it against the test CA, not the system roots.
                RemoteCertificateValidationCallback = validate ?? ((_, presented, _, _) => presented is X509Certificate2 c && ChainsToCa(c)),
            },
            PooledConnectionLifetime = TimeSpan.Zero,
        };

        public HttpClient Client(X509Certificate2? certificate) => new(Handler(certificate)) { Timeout = TimeSpan.FromSeconds(20) };

        public void Dispose()
        {
            foreach (var certificate in new[] { Server, ClientA, ClientB, Unmapped, Expired, Foreign, _ca, _foreignCa })
            {
                certificate.Dispose();
            }

            _caKey.Dispose();
            _foreignKey.Dispose();
        }

        public bool ChainsToCa(X509Certificate2 certificate)
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(_ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(certificate);
        }

        private static X509Certificate2 SelfSignedCa(string subject, ECDsa key)
        {
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-3), DateTimeOffset.UtcNow.AddYears(1));
        }
    }
}
