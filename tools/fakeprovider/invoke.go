package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Invokes the programs call, answered in the provider's region. Sensitive results (the ECR password and
// token, the random password) are returned as secrets, as the bridge does for Sensitive TF attributes.

type invokeFunc func(s *server, region string, args resource.PropertyMap, preview bool) (map[string]any, error)

var awsInvokes = map[string]invokeFunc{
	"aws:index/getRegion:getRegion": func(s *server, region string, args resource.PropertyMap, _ bool) (map[string]any, error) {
		name := strOr(args, "name", region)
		return map[string]any{"id": name, "name": name, "endpoint": "ec2." + name + ".amazonaws.com",
			"description": regionDescription(name)}, nil
	},
	"aws:index/getCallerIdentity:getCallerIdentity": func(*server, string, resource.PropertyMap, bool) (map[string]any, error) {
		return map[string]any{"id": Account, "accountId": Account, "arn": "arn:aws:iam::" + Account + ":user/fake-deployer",
			"userId": "AIDA" + strings.ToUpper(digest(17, "user"))}, nil
	},
	"aws:index/getAvailabilityZones:getAvailabilityZones": func(_ *server, region string, args resource.PropertyMap, _ bool) (map[string]any, error) {
		names := availabilityZones(region)
		var ids, groups []any
		for _, az := range names {
			ids = append(ids, zoneID(az))
			groups = append(groups, region)
		}
		return map[string]any{"id": region, "names": toAny(names), "zoneIds": ids, "groupNames": groups}, nil
	},
	"aws:ecr/getAuthorizationToken:getAuthorizationToken": func(_ *server, region string, args resource.PropertyMap, _ bool) (map[string]any, error) {
		password, err := ecrToken(region)
		if err != nil {
			return nil, err
		}
		registry := strOr(args, "registryId", Account)
		return map[string]any{
			"id":                 region,
			"userName":           "AWS",
			"password":           resource.MakeSecret(resource.NewStringProperty(password)),
			"authorizationToken": resource.MakeSecret(resource.NewStringProperty(base64.StdEncoding.EncodeToString([]byte("AWS:" + password)))),
			"proxyEndpoint":      "https://" + registry + ".dkr.ecr." + region + ".amazonaws.com",
			"expiresAt":          "2099-01-01T00:00:00Z",
		}, nil
	},
	"aws:secretsmanager/getRandomPassword:getRandomPassword": func(_ *server, region string, args resource.PropertyMap, _ bool) (map[string]any, error) {
		n, err := bump("getRandomPassword")
		if err != nil {
			return nil, err
		}
		pw, err := randomPassword(args, fmt.Sprint(n))
		if err != nil {
			return nil, err
		}
		return map[string]any{"id": region, "randomPassword": resource.MakeSecret(resource.NewStringProperty(pw))}, nil
	},
}

func regionDescription(region string) string {
	return map[string]string{"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-2": "US West (Oregon)",
		"eu-west-1": "Europe (Ireland)", "eu-central-1": "Europe (Frankfurt)", "ap-northeast-1": "Asia Pacific (Tokyo)"}[region]
}

// randomPassword follows GetRandomPassword's arguments (PasswordLength default 32, Exclude*, IncludeSpace);
// the value is derived from a call counter, so it is new on every call but reproducible for a fresh state.
func randomPassword(args resource.PropertyMap, salt string) (string, error) {
	length := int(numOr(args, "passwordLength", 32))
	if length < 1 || length > 4096 {
		return "", fmt.Errorf("InvalidParameterException: PasswordLength must be between 1 and 4096")
	}
	alphabet := ""
	if !boolOr(args, "excludeLowercase", false) {
		alphabet += "abcdefghijklmnopqrstuvwxyz"
	}
	if !boolOr(args, "excludeUppercase", false) {
		alphabet += "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	}
	if !boolOr(args, "excludeNumbers", false) {
		alphabet += "0123456789"
	}
	if !boolOr(args, "excludePunctuation", false) {
		alphabet += "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
	}
	if boolOr(args, "includeSpace", false) {
		alphabet += " "
	}
	exclude := strOr(args, "excludeCharacters", "")
	var b strings.Builder
	for _, c := range alphabet {
		if !strings.ContainsRune(exclude, c) {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		return "", fmt.Errorf("InvalidParameterException: every character is excluded")
	}
	return fromAlphabet(length, b.String(), "random-password", salt), nil
}

func (s *server) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	tok := req.GetTok()
	region := s.currentRegion()
	entry := callEntry{Plugin: s.pkg, Op: "Invoke", Type: tok, Preview: req.GetPreview(), Region: region}
	fn, ok := awsInvokes[tok]
	if s.pkg != "aws" || !ok {
		err := fmt.Errorf("fake %s provider: invoke %q is not implemented (add it to tools/fakeprovider/invoke.go)", s.pkg, tok)
		entry.Error = err.Error()
		logCall(entry)
		return nil, err
	}
	if region == "" {
		return nil, fmt.Errorf("%s", missingRegion)
	}
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	out, err := fn(s, region, args, req.GetPreview())
	if err != nil {
		entry.Error = err.Error()
		logCall(entry)
		return nil, err
	}
	logCall(entry)
	ret, err := marshal(toPropertyMap(out))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: ret}, nil
}
