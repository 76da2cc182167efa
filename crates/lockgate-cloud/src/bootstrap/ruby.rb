# Lockgate's Ruby bootstrap: runs a Lambda handler against the Runtime API.
#
# It requires the handler's file from LAMBDA_TASK_ROOT (`file.method`, or
# `file.Module::Class.method`), then loops: GET /next, call the handler with
# `event:` and `context:` as Lambda's Ruby runtime does, POST the result as
# JSON (or the error, in Lambda's shape). Only the standard library is used.
require 'json'
require 'net/http'

$stdout.sync = true
$stderr.sync = true

API = ENV.fetch('AWS_LAMBDA_RUNTIME_API')
HOST, _, PORT = API.rpartition(':')
BASE = '/2018-06-01/runtime'

# The context handlers receive, with the Ruby runtime's names.
class LambdaContext
  attr_reader :aws_request_id, :invoked_function_arn, :function_name, :function_version,
              :memory_limit_in_mb, :log_group_name, :log_stream_name, :deadline_ms,
              :identity, :client_context

  def initialize(res)
    @aws_request_id = res['Lambda-Runtime-Aws-Request-Id']
    @invoked_function_arn = res['Lambda-Runtime-Invoked-Function-Arn']
    @deadline_ms = res['Lambda-Runtime-Deadline-Ms'].to_i
    @function_name = ENV['AWS_LAMBDA_FUNCTION_NAME']
    @function_version = ENV['AWS_LAMBDA_FUNCTION_VERSION']
    @memory_limit_in_mb = ENV['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']
    @log_group_name = ENV['AWS_LAMBDA_LOG_GROUP_NAME']
    @log_stream_name = ENV['AWS_LAMBDA_LOG_STREAM_NAME']
    @identity = parse(res['Lambda-Runtime-Cognito-Identity'])
    @client_context = parse(res['Lambda-Runtime-Client-Context'])
  end

  def get_remaining_time_in_millis
    now = (Process.clock_gettime(Process::CLOCK_REALTIME) * 1000).to_i
    [@deadline_ms - now, 0].max
  end

  private

  def parse(text)
    text.nil? || text.empty? ? nil : JSON.parse(text)
  rescue JSON::ParserError
    nil
  end
end

def error_doc(error, phase)
  {
    errorMessage: error.message,
    errorType: "#{phase}<#{error.class}>",
    stackTrace: error.backtrace || []
  }
end

$http = Net::HTTP.new(HOST, PORT.to_i)
$http.read_timeout = nil
$http.keep_alive_timeout = 86_400
$http.start

def post(path, body)
  req = Net::HTTP::Post.new(BASE + path, 'Content-Type' => 'application/json')
  req.body = body
  $http.request(req)
end

def handler_of(spec)
  file, rest = spec.split('.', 2)
  if rest.nil? || rest.empty?
    raise LoadError, "Bad handler #{spec}: expected file.method or file.Module::Class.method"
  end
  require File.join(ENV.fetch('LAMBDA_TASK_ROOT', Dir.pwd), file)
  if rest.include?('.')
    owner, _, name = rest.rpartition('.')
    Object.const_get(owner).method(name)
  else
    TOPLEVEL_BINDING.receiver.method(rest)
  end
end

begin
  $LOAD_PATH.unshift(ENV['LAMBDA_TASK_ROOT']) if ENV['LAMBDA_TASK_ROOT']
  HANDLER = handler_of(ENV.fetch('_HANDLER'))
rescue Exception => e # any failure to load the handler is an init error
  doc = error_doc(e, 'Init')
  warn JSON.generate(doc)
  post('/init/error', JSON.generate(doc))
  exit 1
end

loop do
  res = $http.request(Net::HTTP::Get.new("#{BASE}/invocation/next"))
  exit 0 if res.code == '410'
  id = res['Lambda-Runtime-Aws-Request-Id']
  context = LambdaContext.new(res)
  begin
    result = HANDLER.call(event: JSON.parse(res.body), context: context)
    post("/invocation/#{id}/response", JSON.generate(result))
  rescue StandardError, ScriptError, SystemStackError => e
    doc = error_doc(e, 'Function')
    warn JSON.generate(doc)
    post("/invocation/#{id}/error", JSON.generate(doc))
  end
end
