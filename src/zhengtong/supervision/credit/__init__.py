"""公共信用: credit records attributed to persons and companies through the registry, an explainable
evaluation (indicators and weights as configuration) giving grades A-D with their reasons, the joint
reward and punishment measures with their legal basis, credit repair and reports."""
