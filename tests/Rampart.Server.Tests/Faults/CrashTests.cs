using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Rampart.TestKit;

namespace Rampart.Server.Tests.Faults;

/// <summary>
/// kill -9 of a real `rampart server` process during an upload, a scan and approvals, then a restart on the same
/// data: no version without its gate, no approval without its ledger record, uploads resumable. Pushes go through
/// the real `rampart push` with RAMPART_TOKEN.
/// </summary>
public sealed class CrashTests
{
    private const string AdminPassword = "crash-test-admin-password";

    [Fact]
    public async Task Kill9_DuringUploadScanAndApproval_LeavesNoHalfState()
    {
        using var data = new TempDirectory();
        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var server = Start(data.Path, port);
        try
        {
            using var admin = new ApiClient(null, address) { UserName = "admin" };
            (await admin.LoginAsync(AdminPassword)).EnsureOk();
            await admin.EnrolTotpAsync();
            (await admin.PostAsync("/api/v1/projects", new { name = "p" })).EnsureCreated();
            foreach (var (name, role) in new[] { ("dana", "data-scientist"), ("rita", "security-reviewer") })
            {
                (await admin.PostAsync("/api/v1/users", new { userName = name, password = TestServer.Password })).EnsureCreated();
                (await admin.PutAsync($"/api/v1/projects/p/members/{name}", new { role })).EnsureOk();
            }

            using var dana = new ApiClient(null, address) { UserName = "dana" };
            (await dana.LoginAsync(TestServer.Password)).EnsureOk();
            using var rita = new ApiClient(null, address) { UserName = "rita" };
            (await rita.LoginAsync(TestServer.Password)).EnsureOk();
            await rita.EnrolTotpAsync();
            var token = await dana.CreateTokenAsync("p", "read", "push");

            // 1. Killed mid-upload: the session survives with the bytes that arrived; resuming completes it.
            var model = Models.CleanSafetensors();
            var big = new byte[8 << 20];
            model.CopyTo(big, 0);
            var id = (await dana.PostAsync("/api/v1/projects/p/uploads", new { artifact = "m", version = "1", fileName = "m.safetensors", size = model.Length })).EnsureCreated().Json["upload"]!.GetValue<string>();
            (await dana.PatchAsync("p", id, 0, model[..40])).EnsureOk();
            server = Restart(server, data.Path, port);
            await WaitAsync(address);
            (await dana.GetAsync($"/api/v1/projects/p/uploads/{id}")).EnsureOk().Json["offset"]!.GetValue<long>().Should().Be(40);
            (await dana.PatchAsync("p", id, 40, model[40..])).EnsureOk();
            (await dana.PostAsync($"/api/v1/projects/p/uploads/{id}/complete", new { })).EnsureCreated();

            // 2. Killed while versions wait for the gate: after restart every one is scanned, none skipped.
            var pushes = new List<string>();
            for (var i = 2; i <= 6; i++)
            {
                var file = data.File($"model{i}.safetensors");
                await File.WriteAllBytesAsync(file, Models.CleanSafetensors(seed: i));
                var push = await RampartProcess.RunAsync(token, data.Path, "push", file, "--project", "p", "--artifact", "m", "--version", i.ToString(System.Globalization.CultureInfo.InvariantCulture), "--server", address.ToString());
                push.ExitCode.Should().Be(0, push.Output + push.Error);
                pushes.Add(push.Output);
            }

            server = Restart(server, data.Path, port);
            await WaitAsync(address);
            for (var i = 1; i <= 6; i++)
            {
                (await rita.WaitForGateAsync("p", "m", i.ToString(System.Globalization.CultureInfo.InvariantCulture)))["version"]!["state"]!.GetValue<string>().Should().Be("pending-review");
            }

            // 3. Killed during approvals at varying moments.
            var approvals = Enumerable.Range(1, 6).Select(async i =>
            {
                await Task.Delay(i * 3);
                return await rita.PostAsync($"/api/v1/projects/p/artifacts/m/versions/{i}/approve", new { note = "crash test" });
            }).ToList();
            await Task.Delay(12);
            server = Restart(server, data.Path, port);
            foreach (var approval in approvals)
            {
                try
                {
                    await approval;
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException)
                {
                }
            }

            await WaitAsync(address);
            var approvedInLedger = (await RampartProcess.VerifiedLedgerAsync(Path.Combine(data.Path, "ledger.db"))).Where(r => r.Value.Kind.Name == "approval").Select(r => r.Key).ToHashSet();

            var approvalRows = new HashSet<long>();
            for (var i = 1; i <= 6; i++)
            {
                var detail = (await rita.GetAsync($"/api/v1/projects/p/artifacts/m/versions/{i}")).EnsureOk().Json;
                var state = detail["version"]!["state"]!.GetValue<string>();
                var rows = detail["approvals"]!.AsArray();
                state.Should().BeOneOf("pending-review", "released");
                rows.Should().HaveCount(state == "released" ? 1 : 0, $"version {i} is {state}");
                foreach (var row in rows)
                {
                    approvedInLedger.Should().Contain(row!["ledgerSequence"]!.GetValue<long>(), "no approval without its ledger record");
                    approvalRows.Add(row["ledgerSequence"]!.GetValue<long>());
                }
            }

            // ...and no approval record without its approval: one written just before the kill was completed at start.
            approvalRows.Should().BeEquivalentTo(approvedInLedger);

            // The versions left pending can still be approved; the released one can be pulled with the real CLI.
            var released = 0;
            for (var i = 1; i <= 6; i++)
            {
                var answer = await rita.PostAsync($"/api/v1/projects/p/artifacts/m/versions/{i}/approve", new { });
                released += answer.Code == 200 || answer.Code == 409 ? 1 : 0;
            }

            released.Should().Be(6);
            var pulled = data.File("pulled.safetensors");
            var pull = await RampartProcess.RunAsync(token, data.Path, "pull", "--project", "p", "--artifact", "m", "--version", "1", "-o", pulled, "--server", address.ToString());
            pull.ExitCode.Should().Be(0, pull.Output + pull.Error);
            (await File.ReadAllBytesAsync(pulled)).Should().Equal(model);
            Directory.EnumerateFiles(Path.Combine(data.Path, "uploads")).Should().BeEmpty();
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            server.Dispose();
        }
    }

    private static Process Start(string data, int port)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "rampart.dll");
        var info = new ProcessStartInfo("dotnet", [cli, "server", "--data", data, "--listen", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["RAMPART_ADMIN_PASSWORD"] = AdminPassword;
        var process = Process.Start(info)!;
        string? line;
        do
        {
            line = process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        }
        while (line is not null && !line.Contains("listening", StringComparison.Ordinal));

        line.Should().NotBeNull("the server must start");
        _ = process.StandardOutput.ReadToEndAsync(); // keep draining: a full pipe would block the server's logging
        return process;
    }

    private static Process Restart(Process process, string data, int port)
    {
        process.Kill(entireProcessTree: true); // SIGKILL: no shutdown code runs
        process.WaitForExit();
        process.Dispose();
        return Start(data, port);
    }

    private static async Task WaitAsync(Uri address)
    {
        using var http = new HttpClient { BaseAddress = address };
        for (var i = 0; i < 100; i++)
        {
            try
            {
                if ((await http.GetAsync("/healthz")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
