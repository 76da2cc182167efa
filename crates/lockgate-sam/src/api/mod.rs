//! API Gateway resources: REST (`AWS::Serverless::Api`) and HTTP (`AWS::Serverless::HttpApi`).

pub mod domain;
pub mod http;
pub mod rest;
pub mod usage_plan;
