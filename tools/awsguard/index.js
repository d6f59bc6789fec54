// AWSGuard, Pulumi's AWS best-practice policy pack, with every policy mandatory. The engine tests run
// it on the previews of the shipped stacks (engine_test.go); config/<stack>.json turns off, with the
// reason, the policies a stack deliberately does not meet. README "Testing" lists them.
const { AwsGuard } = require("@pulumi/awsguard");

new AwsGuard({ all: "mandatory" });
