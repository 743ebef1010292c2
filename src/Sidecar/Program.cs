using CacheSidecar.Hosting;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
builder.AddSidecarConfigFile().ConfigureSidecarEndpoints();
builder.Services.AddCacheSidecar(builder.Configuration);

var app = builder.Build();
app.UseSidecarEndpointRoles();
app.MapCacheSidecar();

try
{
    await app.RunAsync();
}
catch (OptionsValidationException ex)
{
    // A bad policy refuses to start, naming the namespace and field, without a stack trace.
    await Console.Error.WriteLineAsync(
        "CacheSidecar refused to start: invalid configuration.\n  " + string.Join("\n  ", ex.Failures));
    return 2;
}
catch (InvalidOperationException ex) when (ex.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase))
{
    // The binder's own refusals: an unknown key, or a value that does not convert to its type.
    // The binder's details (which key, which value) are in the inner exceptions.
    var reasons = new List<string>();
    for (Exception? e = ex; e is not null; e = e.InnerException)
    {
        reasons.Add(e.Message);
    }

    await Console.Error.WriteLineAsync(
        "CacheSidecar refused to start: invalid configuration.\n  " + string.Join("\n  ", reasons));
    return 2;
}

return 0;

/// <summary>Entry point; public so integration tests can host the sidecar in-process.</summary>
public partial class Program;
