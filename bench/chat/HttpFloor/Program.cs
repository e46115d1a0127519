// http-floor: answers POST /api/rooms/{room}/messages with the bytes of --answer FILE (Capstan's own answer to the
// benchmark's command, saved by run.sh), after reading the request body. It checks no token, parses nothing and
// records nothing: the cost of the HTTP exchange alone. Writes its URL to --url-file once listening.
//
//   http-floor --answer FILE --url-file FILE
var answerFile = Arg("--answer");
var urlFile = Arg("--url-file");
var answer = File.ReadAllBytes(answerFile);

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls("http://127.0.0.1:0");
var app = builder.Build();
app.MapPost("/api/rooms/{room}/messages", async (HttpContext http) =>
{
    var body = await http.Request.BodyReader.ReadAsync();
    while (!body.IsCompleted) { http.Request.BodyReader.AdvanceTo(body.Buffer.Start, body.Buffer.End); body = await http.Request.BodyReader.ReadAsync(); }
    http.Request.BodyReader.AdvanceTo(body.Buffer.End);
    http.Response.ContentType = "application/json; charset=utf-8";
    http.Response.ContentLength = answer.Length;
    await http.Response.Body.WriteAsync(answer);
});
await app.StartAsync();
var url = app.Urls.First();
File.WriteAllText(urlFile, url);
await app.WaitForShutdownAsync();

string Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"usage: http-floor --answer FILE --url-file FILE ({name} is missing)");
}
