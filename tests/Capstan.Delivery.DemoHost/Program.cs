using System.Globalization;
using Capstan.Delivery;

// Usage: demo-app --port PORT --version VERSION (the same words as `capstan demo-app`).
var port = 0;
var version = "0.0.0";
for (var i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--port") port = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    if (args[i] == "--version") version = args[i + 1];
}
if (args.Length == 0 || args[0] != "demo-app" || port == 0)
{
    Console.Error.WriteLine("usage: demo-app --port PORT --version VERSION");
    return 2;
}
return await DemoApp.RunAsync(port, version, CancellationToken.None);
