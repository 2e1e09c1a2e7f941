using Rampart.Provenance;
using Rampart.Provenance.Records;
using Rampart.Provenance.Signing;

namespace Rampart.Server.Registry;

/// <summary>
/// The server's provenance ledger: every registry state change is a record signed with the server's key (data/ledger-key.pem).
/// Records are appended before the database change they describe, so the database never holds a state without its record.
/// </summary>
public sealed class ServerLedger : IAsyncDisposable
{
    private ServerLedger(Ledger ledger, string publicKeyPem)
    {
        Ledger = ledger;
        PublicKeyPem = publicKeyPem;
    }

    public Ledger Ledger { get; }

    /// <summary>The key records are signed with, for `rampart ledger verify`.</summary>
    public string PublicKeyPem { get; }

    public static async Task<ServerLedger> OpenAsync(string location, string keyFile, TimeProvider time, CancellationToken cancellationToken)
    {
        LedgerSigner signer;
        if (File.Exists(keyFile))
        {
            signer = LedgerSigner.FromPemFile(keyFile, "rampart-server");
        }
        else
        {
            signer = LedgerSigner.Generate("rampart-server");
            var temp = keyFile + ".tmp";
            await File.WriteAllTextAsync(temp, signer.ExportPrivateKeyPem(), cancellationToken).ConfigureAwait(false);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            File.Move(temp, keyFile);
        }

        var ledger = await Ledger.InitializeAsync(location, "rampart.server", signer, time, cancellationToken).ConfigureAwait(false);
        return new ServerLedger(ledger, signer.ExportPublicKeyPem());
    }

    /// <summary>A registry event (uploaded, scanned, released, incident steps...). Returns the entry's sequence number.</summary>
    public async Task<long> RegistryEventAsync(string digest, string eventName, string? project, string? artifact, string? version, string actor, string? note, CancellationToken cancellationToken)
    {
        var builder = ProvenanceRecord.Create(RecordKinds.Registry).Set("subject", digest).Set("event", eventName).Set("actor", actor);
        SetIf(builder, "project", project);
        SetIf(builder, "artifact", artifact);
        SetIf(builder, "version", version);
        SetIf(builder, "note", note);
        return (await Ledger.AppendAsync(builder.Build(), cancellationToken).ConfigureAwait(false)).Sequence;
    }

    public async Task<long> AppendAsync(ProvenanceRecord record, CancellationToken cancellationToken) =>
        (await Ledger.AppendAsync(record, cancellationToken).ConfigureAwait(false)).Sequence;

    public ValueTask DisposeAsync() => Ledger.DisposeAsync();

    private static void SetIf(ProvenanceRecord.Builder builder, string field, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            builder.Set(field, value);
        }
    }
}
