using Rampart.Cli;

return await RampartCli.RunAsync(args, CliEnvironment.FromProcess(), CancellationToken.None).ConfigureAwait(false);
